using PaxosGo.Core.Journal.Records;

namespace PaxosGo.Core.Hosting;

/// <summary>
/// What a host must do after one step of an engine (the model is etcd raft's Ready/Advance), in this
/// order:
/// <list type="number">
/// <item>answer clients from <see cref="Applied"/> (may come first: every applied value is chosen, so
/// it is already durable in a majority of acceptors' journals);</item>
/// <item>make <see cref="Acceptor"/> and <see cref="Proposer"/> durable in the node's journal, as one
/// group commit, and <see cref="Snapshot"/> in the learner's snapshot store;</item>
/// <item>only then send <see cref="Messages"/> and give the node's proposer <see cref="VotedBelow"/>
/// and <see cref="LearnedBelow"/> (as <see cref="Voted"/> and <see cref="Learned"/> inputs);</item>
/// <item>call the host's <c>Advance</c>, after which the next step may be taken.</item>
/// </list>
/// When a write fails, the host must not send, must not advance, and must drop the engine: its
/// state may be ahead of storage. It starts again from what storage holds.
/// </summary>
/// <param name="Acceptor">The acceptor's promise, votes and truncation to journal; null when nothing changed (an Accept the acceptor already holds writes nothing).</param>
/// <param name="Proposer">The proposer's round to journal before its Prepare leaves; null when none.</param>
/// <param name="Snapshot">The learner's snapshot to save; null when none.</param>
/// <param name="Messages">Messages to send once the writes are durable.</param>
/// <param name="Applied">Every command the learner applied in this step and what became of it.</param>
/// <param name="Entries">The chosen entries the learner applied, in slot order (after <paramref name="Installed"/> when a snapshot was installed: it covers those before).</param>
/// <param name="Installed">A peer's snapshot the learner installed in this step, if any.</param>
/// <param name="VotedBelow">For the node's proposer, once the journal write is durable: how far the acceptor's durable votes now reach.</param>
/// <param name="LearnedBelow">For the node's proposer, once the snapshot is saved: how far the learner has applied.</param>
/// <param name="RegistryChanged">Whether the learner's registered clients may have changed (an executed administrative command or an installed snapshot).</param>
public sealed record Ready(
    AcceptorChange? Acceptor,
    ProposerRound? Proposer,
    Snapshot? Snapshot,
    IReadOnlyList<Envelope> Messages,
    IReadOnlyList<AppliedCommand> Applied,
    IReadOnlyList<LogEntry> Entries,
    Snapshot? Installed,
    ulong? VotedBelow,
    ulong? LearnedBelow,
    bool RegistryChanged)
{
    /// <summary>Nothing to do.</summary>
    public static readonly Ready Empty = new(null, null, null, [], [], [], null, null, null, false);

    /// <summary>Whether the step asks for a journal write (one group commit) before its messages leave.</summary>
    public bool HasJournalWrite => Acceptor is not null || Proposer is not null;
}
