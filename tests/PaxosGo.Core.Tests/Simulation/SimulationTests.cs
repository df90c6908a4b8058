using Xunit;
using Xunit.Abstractions;

using PaxosGo.Core.Simulation;

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
            var result = Replay(ulong.Parse(replay, System.Globalization.CultureInfo.InvariantCulture), PlantedBugs.None, output);
            Assert.True(result.Ok, result.ToString());
            return;
        }

        int schedules = SimRunner.EnvInt("PAXOSGO_SIM_SCHEDULES", 2000);
        ulong first = (ulong)SimRunner.EnvInt("PAXOSGO_SIM_FIRST_SEED", 1);
        var batch = SimRunner.RunMany(first, schedules);
        output.WriteLine(batch.ToString());
        foreach (var f in batch.Failures.Take(20)) output.WriteLine(f.ToString());
        var firstFailure = batch.Failures.Count > 0 ? batch.Failures[0] : null;
        Assert.True(batch.Failures.Count == 0,
            $"{batch.Failures.Count} of {schedules} schedules failed; first: {firstFailure}. Replay with PAXOSGO_SIM_SEED={firstFailure?.Seed}");
    }

    [Fact]
    public void TheAdversary_ActsInMostSchedules_AndAuthenticationRefusesWhatItForges()
    {
        var batch = SimRunner.RunMany(1, 500);
        output.WriteLine(batch.ToString());

        Assert.Empty(batch.Failures);
        // About 3 in 4 schedules have an adversary; each acts a few dozen times while faults last.
        Assert.True(batch.Attacks > 2_000, $"only {batch.Attacks} attacks in 500 schedules");
        Assert.True(batch.Refused > batch.Attacks / 4, $"only {batch.Refused} of {batch.Attacks} attacks met authentication");
    }

    [Fact]
    public void NodesThatCrashInTheMiddleOfAJournalAppend_DropTheTornTail_AndSafetyAndExactlyOnceHold()
    {
        var batch = SimRunner.RunMany(1, 500);
        output.WriteLine(batch.ToString());

        Assert.Empty(batch.Failures);
        Assert.True(batch.TornRecoveries > 50, $"only {batch.TornRecoveries} torn journal tails in 500 schedules");
    }

    private static SimResult Replay(ulong seed, PlantedBugs bugs, ITestOutputHelper output)
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
