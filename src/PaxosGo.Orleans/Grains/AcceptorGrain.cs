using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;
using PaxosGo.Core;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Placement;
using PaxosGo.Core.Journal;
using PaxosGo.Orleans.Storage;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// The acceptor of one application on one node: the core's <see cref="Acceptor"/>. What it must not
/// forget goes to the node's journal (<see cref="INodeLog"/>) before it answers: one group commit
/// shared with every other acceptor and proposer of the node.
/// </summary>
[NodePinnedPlacement]
[GrainDirectory(PinnedGrainDirectory.Name)]
[Immovable(ImmovableKind.Any)]
[Reentrant]
public sealed class AcceptorGrain(
    PaxosGoNode node,
    ILogger<AcceptorGrain> logger,
    INodeLog journal)
    : ProtocolGrain(node, logger), IAcceptorGrain, IPaxosGoGrain
{
    private Acceptor? _acceptor;
    private AcceptorState _durable = AcceptorState.Initial;
    private ulong _notifiedVotedBelow;

    /// <inheritdoc />
    protected override Role Role => Role.Acceptor;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        var (state, _) = await journal.LoadAsync(Application, cancellationToken);
        _durable = state;
        var learners = Node.Options.AcceptorsNotifyLearners ? Node.NodeIds : null;
        _acceptor = new Acceptor(Node.Self, state, learners);
        NoteVoted(state);
    }

    /// <inheritdoc />
    public Task<AcceptorStatus> GetStatus()
    {
        var state = _acceptor!.State;
        return Task.FromResult(new AcceptorStatus(
            Node.Identity.Name, RuntimeIdentity, state.Promised.Round, state.Promised.Node.Value, state.TruncatedBelow, state.Accepted.Count));
    }

    /// <inheritdoc />
    protected override async Task ProcessAsync(IReadOnlyList<object> inputs)
    {
        AcceptorState? persist = null;
        var messages = new List<Envelope>();
        foreach (var input in inputs)
        {
            AcceptorStep step;
            switch (input)
            {
                case Prepare prepare: step = _acceptor!.Handle(prepare); break;
                case Accept accept: step = _acceptor!.Handle(accept); break;
                default: continue; // ticks and messages for other roles: nothing to do
            }

            persist = step.Persist ?? persist;
            messages.AddRange(step.Messages);
        }

        // The promise or vote is durable before anyone hears of it. An Accept already held writes nothing.
        if (persist is not null && NodeJournal.Change(Application, _durable, persist) is { } change)
        {
            long start = Stopwatch.GetTimestamp();
            await journal.AppendAsync(change, null);
            Metrics.RecordPersist(start, "acceptor");
            _durable = persist;
        }

        Send(messages);
        if (persist is not null) NoteVoted(persist);
    }

    /// <summary>
    /// Tells this node's proposer how far our durable votes reach: with votes its learner has not
    /// applied and no leader alive, it stands for election so that a leader recovers those slots.
    /// </summary>
    private void NoteVoted(AcceptorState state)
    {
        ulong votedBelow = state.VotedBelow;
        if (votedBelow <= _notifiedVotedBelow) return;
        _notifiedVotedBelow = votedBelow;
        _ = Node.NoteVoted(GrainFactory, Application, votedBelow).ContinueWith(
            t => Log.NotDelivered(Logger, t.Exception, Application, typeof(AcceptorState), Role.Proposer, Node.Self.Value),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Current);
    }
}
