using System.Diagnostics;

namespace PaxosGo.Core.Simulation;

/// <summary>What a batch of simulated schedules did.</summary>
public sealed record SimBatch(IReadOnlyList<SimResult> Failures, int Schedules, long Acked, long Slots, long Events, TimeSpan Elapsed, long Attacks = 0, long Refused = 0, long TornRecoveries = 0)
{
    public double SchedulesPerSecond => Schedules / Elapsed.TotalSeconds;

    public override string ToString() =>
        $"{Schedules} schedules in {Elapsed.TotalSeconds:F1} s ({SchedulesPerSecond:F0}/s); {Acked} commands acknowledged, " +
        $"{Slots} slots applied, {Events} events, {Attacks} attacks ({Refused} refused by authentication), {TornRecoveries} torn journal tails dropped; {Failures.Count} failed";
}

/// <summary>Runs many seeds across the machine's cores; each run is single-threaded and deterministic.</summary>
public static class SimRunner
{
    /// <summary>A positive integer from the environment, or <paramref name="fallback"/>.</summary>
    public static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : fallback;

    /// <summary>Runs <paramref name="count"/> seeds from <paramref name="first"/>; failures come sorted by seed.</summary>
    public static SimBatch RunMany(ulong first, int count, bool stopAtFirst = false) =>
        RunMany(first, count, PlantedBugs.None, stopAtFirst);

    internal static SimBatch RunMany(ulong first, int count, PlantedBugs bugs, bool stopAtFirst, Func<SimConfig, SimConfig>? configure = null)
    {
        var failures = new List<SimResult>();
        long acked = 0, events = 0, slots = 0, attacks = 0, refused = 0, torn = 0;
        int ran = 0;
        var gate = new object();
        var stopwatch = Stopwatch.StartNew();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, (i, loop) =>
        {
            ulong seed = first + (ulong)i;
            var config = SimConfig.FromSeed(seed, bugs);
            var result = new Simulator(configure is null ? config : configure(config)).Run();
            lock (gate)
            {
                ran++;
                attacks += result.Attacks;
                refused += result.Refused;
                torn += result.TornRecoveries;
                acked += result.Acked;
                events += result.Events;
                slots += (long)result.Slots;
                if (!result.Ok)
                {
                    failures.Add(result);
                    if (stopAtFirst) loop.Stop();
                }
            }
        });
        stopwatch.Stop();
        failures.Sort((a, b) => a.Seed.CompareTo(b.Seed));
        return new SimBatch(failures, ran, acked, slots, events, stopwatch.Elapsed, attacks, refused, torn);
    }
}
