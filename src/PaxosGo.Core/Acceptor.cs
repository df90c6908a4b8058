using System.Collections.Immutable;

namespace PaxosGo.Core;

/// <summary>
/// An acceptor's durable state: a plain value the host saves before any reply leaves.
/// It holds only the undecided window: votes for slots below <see cref="TruncatedBelow"/>
/// are dropped once the leader reports them chosen and learned by a majority.
/// </summary>
public sealed record AcceptorState(Ballot Promised, ulong TruncatedBelow, ImmutableSortedDictionary<ulong, AcceptedEntry> Accepted)
{
    /// <summary>A fresh acceptor: nothing promised, nothing accepted.</summary>
    public static readonly AcceptorState Initial = new(Ballot.Zero, 0, ImmutableSortedDictionary<ulong, AcceptedEntry>.Empty);

    /// <summary>One past the highest slot this acceptor holds a vote for (0 when it holds none).</summary>
    public ulong VotedBelow => Accepted.IsEmpty ? 0 : Accepted.Keys.Max() + 1;
}

/// <summary>What an acceptor's step asks of its host: save <see cref="Persist"/> (when set), then send <see cref="Messages"/>.</summary>
public readonly record struct AcceptorStep(AcceptorState? Persist, IReadOnlyList<Envelope> Messages);

/// <summary>
/// The acceptor of Multi-Paxos. One promise covers every slot; votes are kept per slot.
/// Pure: no I/O, no clock. The host must persist <see cref="AcceptorStep.Persist"/> before
/// sending <see cref="AcceptorStep.Messages"/>: a promise or vote reported before it is durable
/// could be forgotten by a crash and broken afterwards.
/// </summary>
public sealed class Acceptor
{
    private readonly IReadOnlyList<NodeId> _learners;

    /// <summary>
    /// Creates an acceptor from its durable state.
    /// </summary>
    /// <param name="id">This node.</param>
    /// <param name="durable">What the host last saved (or <see cref="AcceptorState.Initial"/>).</param>
    /// <param name="learners">Learners to notify of every vote; empty to report votes to the proposer only.</param>
    public Acceptor(NodeId id, AcceptorState durable, IReadOnlyList<NodeId>? learners = null)
    {
        ArgumentNullException.ThrowIfNull(durable);
        Id = id;
        _learners = learners ?? Array.Empty<NodeId>();
        State = durable;
    }

    /// <summary>This node.</summary>
    public NodeId Id { get; }

    /// <summary>The current state (equal to what the host saved last, once it has saved each step).</summary>
    public AcceptorState State { get; private set; }

    /// <summary>Handles a Prepare: Promise (durable first) or Nack.</summary>
    public AcceptorStep Handle(Prepare prepare)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        var s = State;
        // Promise only a ballot at least as high as the one already promised: a lower one could
        // choose a value the higher ballot's proposer does not know about. Equal is a retry of the same
        // Prepare and gets the same answer (a proposer never reuses a ballot for a different round).
        if (prepare.Ballot < s.Promised || !prepare.Ballot.IsReal)
        {
            return Reply(null, prepare.From, new Nack(Id, prepare.Ballot, s.Promised, null, s.TruncatedBelow));
        }

        AcceptorState? persist = null;
        if (prepare.Ballot > s.Promised)
        {
            s = s with { Promised = prepare.Ballot };
            persist = s;
            State = s;
        }

        var votes = new List<AcceptedEntry>();
        foreach (var (slot, entry) in s.Accepted)
        {
            if (slot >= prepare.FromSlot) votes.Add(entry);
        }

        return Reply(persist, prepare.From, new Promise(Id, prepare.Ballot, s.TruncatedBelow, votes));
    }

    /// <summary>Handles an Accept: Accepted (durable first, also to learners) or Nack.</summary>
    public AcceptorStep Handle(Accept accept)
    {
        ArgumentNullException.ThrowIfNull(accept);
        var s = State;
        // Vote only at or above the promise: voting below it would break the promise that lets
        // the higher ballot's proposer assume nothing new gets chosen in lower ballots.
        if (accept.Ballot < s.Promised || !accept.Ballot.IsReal)
        {
            return Reply(null, accept.From, new Nack(Id, accept.Ballot, s.Promised, accept.Slot, s.TruncatedBelow));
        }

        var accepted = s.Accepted;
        ulong truncatedBelow = s.TruncatedBelow;
        // Drop votes for slots the leader says are chosen and learned by a majority: this keeps the
        // state to the undecided window. Such slots are never proposed again (see Proposer recovery).
        if (accept.TruncateBelow > truncatedBelow)
        {
            truncatedBelow = accept.TruncateBelow;
            while (accepted.Count > 0 && accepted.Keys.First() < truncatedBelow)
            {
                accepted = accepted.Remove(accepted.Keys.First());
            }
        }

        if (accept.Slot < truncatedBelow)
        {
            // The slot is chosen and learned; the vote we had is gone, so we cannot vote again safely
            // (we would not know whether the value matches). Tell the proposer it is decided.
            s = s with { Promised = accept.Ballot, TruncatedBelow = truncatedBelow, Accepted = accepted };
            State = s;
            return Reply(s, accept.From, new Nack(Id, accept.Ballot, s.Promised, accept.Slot, truncatedBelow));
        }

        var entry = new AcceptedEntry(accept.Slot, accept.Ballot, accept.Value);
        s = new AcceptorState(accept.Ballot, truncatedBelow, accepted.SetItem(accept.Slot, entry));
        State = s;
        var vote = new Accepted(Id, accept.Ballot, accept.Slot, accept.Value);
        var messages = new List<Envelope>(1 + _learners.Count) { new(accept.From, Role.Proposer, vote) };
        foreach (var learner in _learners)
        {
            messages.Add(new Envelope(learner, Role.Learner, vote));
        }

        return new AcceptorStep(s, messages);
    }

    private static AcceptorStep Reply(AcceptorState? persist, NodeId to, Message message) =>
        new(persist, new[] { new Envelope(to, Role.Proposer, message) });
}
