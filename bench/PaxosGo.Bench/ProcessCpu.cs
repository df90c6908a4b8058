namespace PaxosGo.Bench;

/// <summary>
/// CPU time of named processes (Linux <c>/proc/{pid}/stat</c>: user + system), to report each
/// process's share of a measured window: every silo, the storage emulator, and the load generator.
/// </summary>
internal sealed class ProcessCpu
{
    private static readonly double TicksPerSecond = 100.0; // USER_HZ on Linux
    private readonly IReadOnlyList<(string Name, int Pid)> _processes;

    private ProcessCpu(IReadOnlyList<(string Name, int Pid)> processes) => _processes = processes;

    /// <summary>
    /// The load generator itself, plus every process named in <paramref name="watch"/> (<c>name=pid</c>
    /// or <c>name=pidfile</c>), plus, when <paramref name="clusterDir"/> exists, the silos whose pid files
    /// deploy/local-cluster.sh writes there (<c>run/node-*.pid</c>) and Azurite's (<c>azurite/.azurite.pid</c> beside it).
    /// </summary>
    public static ProcessCpu Find(IEnumerable<string> watch, string? clusterDir)
    {
        var found = new List<(string, int)> { ("bench", Environment.ProcessId) };
        foreach (string spec in watch)
        {
            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new InvalidOperationException($"--watch wants name=pid or name=pidfile, not '{spec}'.");
            if (ReadPid(spec[(eq + 1)..]) is { } pid) found.Add((spec[..eq], pid));
        }

        if (clusterDir is not null && Directory.Exists(Path.Combine(clusterDir, "run")))
        {
            foreach (string file in Directory.GetFiles(Path.Combine(clusterDir, "run"), "node-*.pid").Order(StringComparer.Ordinal))
            {
                if (ReadPid(file) is { } pid) found.Add((Path.GetFileNameWithoutExtension(file), pid));
            }

            string azurite = Path.Combine(clusterDir, "..", "..", "azurite", ".azurite.pid");
            if (ReadPid(azurite) is { } storagePid) found.Add(("azurite", storagePid));
        }

        return new ProcessCpu(found);
    }

    /// <summary>CPU seconds used so far by each watched process (absent when it has gone).</summary>
    public Dictionary<string, double> Sample()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, pid) in _processes)
        {
            if (CpuSeconds(pid) is { } s) result[name] = s;
        }

        return result;
    }

    /// <summary>Resident memory (<c>VmRSS</c>) of each watched process, in MB (absent when it has gone).</summary>
    public Dictionary<string, long> ResidentMegabytes()
    {
        var result = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (name, pid) in _processes)
        {
            try
            {
                string? line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
                if (line is not null && long.TryParse(line["VmRSS:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), out long kb)) result[name] = kb / 1024;
            }
            catch (IOException)
            {
                // Gone.
            }
        }

        return result;
    }

    /// <summary>Cores each process used between two samples taken <paramref name="seconds"/> apart.</summary>
    public static Dictionary<string, double> Cores(Dictionary<string, double> before, Dictionary<string, double> after, double seconds) =>
        after.Where(a => before.ContainsKey(a.Key))
            .ToDictionary(a => a.Key, a => Math.Round((a.Value - before[a.Key]) / seconds, 3), StringComparer.Ordinal);

    private static int? ReadPid(string pidOrFile)
    {
        if (int.TryParse(pidOrFile, out int pid)) return pid;
        try
        {
            return int.TryParse(File.ReadAllText(pidOrFile).Trim(), out pid) ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static double? CpuSeconds(int pid)
    {
        try
        {
            // Fields after the command name (which may hold spaces, inside parentheses): utime is the 14th field, stime the 15th.
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / TicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
