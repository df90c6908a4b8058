namespace PaxosGo.Core;

/// <summary>The three roles every node plays for an application.</summary>
public enum Role
{
    /// <summary>Drives rounds; one of them leads at a time.</summary>
    Proposer,

    /// <summary>Votes; its promise and votes are durable.</summary>
    Acceptor,

    /// <summary>Learns chosen values and applies them, in slot order, to the node's replica.</summary>
    Learner,
}

/// <summary>A message on its way to one role of one node.</summary>
public readonly record struct Envelope(NodeId To, Role Role, Message Message);

/// <summary>Every protocol message names the node that sent it.</summary>
public abstract record Message(NodeId From);

/// <summary>One acceptor's vote, as reported in a <see cref="Promise"/>.</summary>
public sealed record AcceptedEntry(ulong Slot, Ballot Ballot, Value Value);

/// <summary>Phase 1a (proposer → acceptor): promise me <paramref name="Ballot"/> for every slot at or after <paramref name="FromSlot"/>.</summary>
public sealed record Prepare(NodeId From, Ballot Ballot, ulong FromSlot) : Message(From);

/// <summary>
/// Phase 1b (acceptor → proposer): the acceptor promised <paramref name="Ballot"/> and reports every
/// vote it holds at or after the Prepare's from-slot. Slots below <paramref name="TruncatedBelow"/>
/// are chosen and learned by a majority; the acceptor no longer holds their votes.
/// </summary>
public sealed record Promise(NodeId From, Ballot Ballot, ulong TruncatedBelow, IReadOnlyList<AcceptedEntry> Accepted) : Message(From);

/// <summary>
/// Phase 2a (proposer → acceptor): accept <paramref name="Value"/> in <paramref name="Slot"/> at
/// <paramref name="Ballot"/>. <paramref name="TruncateBelow"/> tells the acceptor that every slot
/// below it is chosen and durably learned by a majority of learners, so its votes there may go.
/// </summary>
public sealed record Accept(NodeId From, Ballot Ballot, ulong Slot, Value Value, ulong TruncateBelow) : Message(From);

/// <summary>
/// Phase 2b (acceptor → proposer and learners): the acceptor voted for <paramref name="Value"/>
/// in <paramref name="Slot"/> at <paramref name="Ballot"/>, and the vote is durable.
/// </summary>
public sealed record Accepted(NodeId From, Ballot Ballot, ulong Slot, Value Value) : Message(From);

/// <summary>
/// Rejection (acceptor → proposer) of a Prepare or Accept at <paramref name="Rejected"/>: the acceptor
/// has promised <paramref name="Promised"/>, which is higher; or, for an Accept whose slot is below
/// <paramref name="TruncatedBelow"/>, that slot is already chosen and learned.
/// </summary>
public sealed record Nack(NodeId From, Ballot Rejected, Ballot Promised, ulong? Slot, ulong TruncatedBelow) : Message(From);

/// <summary>The leader (proposer → learners): <paramref name="Value"/> is chosen in <paramref name="Slot"/>.</summary>
public sealed record Chosen(NodeId From, ulong Slot, Value Value) : Message(From);

/// <summary>
/// The leader (proposer → proposers and learners), periodically: I lead at <paramref name="Ballot"/>,
/// and every slot below <paramref name="ChosenBelow"/> is chosen.
/// </summary>
public sealed record Heartbeat(NodeId From, Ballot Ballot, ulong ChosenBelow) : Message(From);

/// <summary>
/// A learner (→ the leader's proposer): my saved snapshot covers every slot below
/// <paramref name="DurableBelow"/> (acceptors may drop votes a majority of snapshots cover), and I
/// have applied every slot below <paramref name="AppliedBelow"/> (what the leader need not send me again).
/// </summary>
public sealed record LearnerStatus(NodeId From, ulong DurableBelow, ulong AppliedBelow) : Message(From);

/// <summary>A learner (→ a peer learner): send me what you have from <paramref name="FromSlot"/> on.</summary>
public sealed record CatchUpRequest(NodeId From, ulong FromSlot) : Message(From);

/// <summary>
/// A learner's answer to <see cref="CatchUpRequest"/>: a snapshot when the request reaches below the
/// peer's retained log, then the retained chosen entries in slot order; <paramref name="NextSlot"/>
/// is the peer's own applied frontier.
/// </summary>
public sealed record CatchUpReply(NodeId From, Snapshot? Snapshot, IReadOnlyList<LogEntry> Entries, ulong NextSlot) : Message(From);

/// <summary>
/// Client commands handed to a proposer by the entry node's host, or forwarded by a follower to
/// the leader; <paramref name="Hops"/> counts forwards so that stale leader hints cannot bounce a
/// command around forever.
/// </summary>
public sealed record Submit(NodeId From, IReadOnlyList<Command> Commands, int Hops = 0) : Message(From);

/// <summary>One chosen slot as a learner keeps it.</summary>
public sealed record LogEntry(ulong Slot, Value Value);

/// <summary>
/// A replica's whole state after applying every slot below <paramref name="NextSlot"/>, in the
/// format of <see cref="Replica.TakeSnapshot"/>.
/// </summary>
public sealed record Snapshot(ulong NextSlot, byte[] Data);
