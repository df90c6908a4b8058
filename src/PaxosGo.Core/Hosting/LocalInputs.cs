namespace PaxosGo.Core.Hosting;

/// <summary>
/// An input a host gives an engine that is not a protocol message from a peer: the clock, commands
/// entering at this node, and what the node's other roles made durable. A host steps its engines
/// with <see cref="Message"/>s and <see cref="LocalInput"/>s only.
/// </summary>
public abstract record LocalInput;

/// <summary>The clock: <paramref name="Now"/> in protocol ticks since the engine started.</summary>
public sealed record Tick(long Now) : LocalInput;

/// <summary>Commands that entered at this node (checked by its entry path), for its proposer.</summary>
public sealed record Proposals(IReadOnlyList<Command> Commands) : LocalInput;

/// <summary>For the proposer: this node's learner has applied every slot below <paramref name="NextSlot"/>.</summary>
public sealed record Learned(ulong NextSlot) : LocalInput;

/// <summary>For the proposer: this node's acceptor holds durable votes below <paramref name="VotedBelow"/>.</summary>
public sealed record Voted(ulong VotedBelow) : LocalInput;

/// <summary>For the learner: save a snapshot now (the host is stopping).</summary>
public sealed record SnapshotNow : LocalInput
{
    /// <summary>The one instance.</summary>
    public static readonly SnapshotNow Instance = new();

    private SnapshotNow()
    {
    }
}
