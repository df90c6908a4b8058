namespace PaxosGo.Core.Simulation;

/// <summary>
/// Real protocol bugs that tests can switch on to prove the simulator's checks can fail. They live
/// here, in the simulated host, not in the engines: the production types carry no switch. Each is
/// planted by the host around a correct engine, with the effect the bug would have inside it.
/// </summary>
internal sealed record PlantedBugs
{
    /// <summary>No bug planted.</summary>
    public static readonly PlantedBugs None = new();

    /// <summary>A restarted acceptor comes back with its promise reset (its votes survive): the host starts it from a state without the promise.</summary>
    public bool AcceptorForgetsPromiseOnRestart { get; init; }

    /// <summary>A new leader ignores the votes reported in promises instead of re-proposing the highest-ballot value: the host hands its proposer promises without their votes.</summary>
    public bool ProposerSkipsRecovery { get; init; }

    /// <summary>A learner applies a value as soon as it learns it, without waiting for the slots before it: the host hands its learner a value chosen ahead of the learner's next slot as that slot's.</summary>
    public bool LearnerDeliversOutOfOrder { get; init; }
}
