using System.Globalization;

namespace PeterRec.Chaos;

/// <summary>Resident set size of a process from <c>/proc/&lt;pid&gt;/status</c> (VmRSS), in MiB.</summary>
public static class RssSampler
{
    public static double? MiB(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
