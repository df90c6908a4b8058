using PaxosGo.Core.Simulation;
using Xunit;
using Xunit.Abstractions;

namespace PaxosGo.Core.Tests.Simulation;

/// <summary>
/// The simulator's checks can fail: each test plants one real protocol bug and requires the
/// simulator to catch it within a fixed budget of schedules (the same seeds pass without the bug).
/// </summary>
[Trait("Category", "Simulation")]
public sealed class PlantedBugTests(ITestOutputHelper output)
{
    private const int Budget = 10_000;

    [Fact]
    public void Simulator_Catches_AcceptorThatForgetsItsPromiseOnRestart() =>
        AssertCaught(new PlantedBugs { AcceptorForgetsPromiseOnRestart = true });

    [Fact]
    public void Simulator_Catches_ProposerThatSkipsRecoveryOfAcceptedValues() =>
        AssertCaught(new PlantedBugs { ProposerSkipsRecovery = true });

    [Fact]
    public void Simulator_Catches_LearnerThatDeliversOutOfOrder() =>
        AssertCaught(new PlantedBugs { LearnerDeliversOutOfOrder = true });

    [Fact]
    public void Simulator_Catches_AHostThatHandlesForgedAndRedirectedMessages() =>
        AssertCaught(PlantedBugs.None, c => c with { HostAcceptsForgedMessages = true }, "host accepts forged messages");

    [Fact]
    public void Simulator_Catches_ReplicasThatExecuteAdministrativeCommandsWithoutCheckingTheSignature() =>
        AssertCaught(PlantedBugs.None, c => c with { ReplicasTrustAdministrativeCommands = true }, "replicas trust administrative commands");

    private void AssertCaught(PlantedBugs bug, Func<SimConfig, SimConfig>? plant = null, string? name = null)
    {
        string what = name ?? bug.ToString();
        var batch = SimRunner.RunMany(1, Budget, bug, stopAtFirst: true, plant);
        output.WriteLine($"{what}: {batch}");
        Assert.True(batch.Failures.Count > 0, $"the simulator missed the planted bug {what} in {Budget} schedules");
        var first = batch.Failures[0];
        output.WriteLine($"caught: {first} (replay: same seed with the bug planted)");
        // The same seed without the bug is clean: the violation is the bug's doing, not the harness's.
        var clean = new Simulator(SimConfig.FromSeed(first.Seed)).Run();
        Assert.True(clean.Ok, $"seed {first.Seed} fails even without the bug: {clean}");
    }
}
