using System.Reflection;
using System.Runtime.InteropServices;

namespace PeterRec.DevBroker;

/// <summary>
/// Resolves our own P/Invokes of "librdkafka" to the native library that Confluent.Kafka bundles.
/// </summary>
/// <remarks>
/// Confluent's default <c>librdkafka.so</c> needs <c>libsasl2.so.3</c>, which Debian does not ship; Confluent.Kafka
/// then silently falls back to <c>centos8-librdkafka.so</c>, but a plain <c>[DllImport("librdkafka")]</c> does not.
/// Trying both (in Confluent's order) means we end up in the same native image Confluent.Kafka loaded.
/// </remarks>
internal static class LibrdkafkaResolver
{
    internal const string LibraryName = "librdkafka";
    private static readonly string[] Candidates = ["librdkafka.so", "centos8-librdkafka.so", "alpine-librdkafka.so"];
    private static int _registered;

    public static void EnsureRegistered()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(LibrdkafkaResolver).Assembly, Resolve);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != LibraryName) return IntPtr.Zero;
        var failures = new List<string>();
        foreach (var dir in SearchDirectories())
        {
            foreach (var file in Candidates)
            {
                var path = Path.Combine(dir, file);
                if (!File.Exists(path)) continue;
                if (NativeLibrary.TryLoad(path, out var handle)) return handle;
                failures.Add(path);
            }
        }
        if (NativeLibrary.TryLoad(LibraryName, assembly, searchPath, out var fallback)) return fallback;
        throw new DllNotFoundException(
            $"Could not load librdkafka for the mock cluster. Tried: {(failures.Count == 0 ? "no candidate files found" : string.Join(", ", failures))} " +
            $"under {string.Join(", ", SearchDirectories())}. Is Confluent.Kafka's librdkafka.redist copied to the output?");
    }

    private static IEnumerable<string> SearchDirectories()
    {
        var baseDir = AppContext.BaseDirectory;
        var rid = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        yield return Path.Combine(baseDir, "runtimes", rid, "native");
        yield return baseDir;
    }
}
