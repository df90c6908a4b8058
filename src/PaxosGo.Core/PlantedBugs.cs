namespace PaxosGo.Core;

/// <summary>
/// Real protocol bugs that tests can switch on to prove the simulator's checks can fail.
/// Internal: only the test assembly can set them; production code never does.
/// </summary>
internal sealed record PlantedBugs
{
    /// <summary>No bug planted.</summary>
    public static readonly PlantedBugs None = new();

    /// <summary>A restarted acceptor comes back with its promise reset (its votes survive).</summary>
    public bool AcceptorForgetsPromiseOnRestart { get; init; }

    /// <summary>A new leader ignores the votes reported in promises instead of re-proposing the highest-ballot value.</summary>
    public bool ProposerSkipsRecovery { get; init; }

    /// <summary>A learner applies a value as soon as it learns it, without waiting for the slots before it.</summary>
    public bool LearnerDeliversOutOfOrder { get; init; }
}
