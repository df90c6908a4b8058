using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace PaxosGo.Core.Tests.Simulation;

/// <summary>
/// Random fault schedules against the whole protocol. PAXOSGO_SIM_SCHEDULES sets how many run
/// (default 2,000; set millions locally), PAXOSGO_SIM_FIRST_SEED where they start, and
/// PAXOSGO_SIM_SEED replays one seed with a trace.
/// </summary>
[Trait("Category", "Simulation")]
public sealed class SimulationTests(ITestOutputHelper output)
{
    [Fact]
    public void RandomSchedules_KeepSafetyExactlyOnceAndLiveness()
    {
        string? replay = Environment.GetEnvironmentVariable("PAXOSGO_SIM_SEED");
        if (replay is not null)
        {
            var result = SimRunner.Replay(ulong.Parse(replay, System.Globalization.CultureInfo.InvariantCulture), PlantedBugs.None, output);
            Assert.True(result.Ok, result.ToString());
            return;
        }

        int schedules = SimRunner.EnvInt("PAXOSGO_SIM_SCHEDULES", 2000);
        ulong first = (ulong)SimRunner.EnvInt("PAXOSGO_SIM_FIRST_SEED", 1);
        var stopwatch = Stopwatch.StartNew();
        var failures = SimRunner.RunMany(first, schedules, PlantedBugs.None, stopAtFirst: false, out var stats);
        stopwatch.Stop();
        output.WriteLine($"{schedules} schedules in {stopwatch.Elapsed.TotalSeconds:F1} s ({schedules / stopwatch.Elapsed.TotalSeconds:F0}/s); {stats}");
        foreach (var f in failures.Take(20)) output.WriteLine(f.ToString());
        Assert.True(failures.Count == 0,
            $"{failures.Count} of {schedules} schedules failed; first: {failures.FirstOrDefault()}. Replay with PAXOSGO_SIM_SEED={failures.FirstOrDefault()?.Seed}");
    }
}

/// <summary>Runs many seeds across the machine's cores; each run is single-threaded and deterministic.</summary>
internal static class SimRunner
{
    public static int EnvInt(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out int v) && v > 0 ? v : fallback;

    public static List<SimResult> RunMany(ulong first, int count, PlantedBugs bugs, bool stopAtFirst, out string stats)
    {
        var failures = new List<SimResult>();
        long acked = 0, events = 0, slots = 0;
        var gate = new object();
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, (i, loop) =>
        {
            ulong seed = first + (ulong)i;
            var result = new Simulator(SimConfig.FromSeed(seed, bugs)).Run();
            lock (gate)
            {
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
        failures.Sort((a, b) => a.Seed.CompareTo(b.Seed));
        stats = $"{acked} commands acknowledged, {slots} slots applied, {events} events";
        return failures;
    }

    public static SimResult Replay(ulong seed, PlantedBugs bugs, ITestOutputHelper output)
    {
        var config = SimConfig.FromSeed(seed, bugs);
        output.WriteLine(config.ToString());
        var simulator = new Simulator(config, trace: true);
        var result = simulator.Run();
        foreach (var line in simulator.Trace) output.WriteLine(line);
        output.WriteLine(result.ToString());
        return result;
    }
}
