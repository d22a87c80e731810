using System.Reflection;
using System.Runtime.CompilerServices;
using PeterRec.Orchestration;

namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>Points the harness at the <c>peterrec</c> binary this test assembly was built with (see the project file).</summary>
internal static class PeterRecBinary
{
    [ModuleInitializer]
    internal static void Locate()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(RoleProcess.BinaryVariable))) return;
        var path = typeof(PeterRecBinary).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PeterRecBinary").Value!;
        Environment.SetEnvironmentVariable(RoleProcess.BinaryVariable, Path.GetFullPath(path));
    }
}
