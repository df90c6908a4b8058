using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;
using PaxosGo.Core;
using PaxosGo.Core.Hosting;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Placement;
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
    private AcceptorHost? _host;

    /// <inheritdoc />
    protected override Role Role => Role.Acceptor;

    /// <inheritdoc />
    protected override EngineHost? Host => _host;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        var (state, _) = await journal.LoadAsync(Application, cancellationToken);
        var learners = Node.Options.AcceptorsNotifyLearners ? Node.NodeIds : null;
        _host = new AcceptorHost(Application, new Acceptor(Node.Self, state, learners), state);
        // With durable votes its learner has not applied and no leader alive, this node's proposer
        // stands for election so that a leader recovers those slots.
        if (_host.InitialVotedBelow() is { } voted) Notify(Node.NoteVoted(GrainFactory, Application, voted), typeof(Voted));
    }

    /// <inheritdoc />
    public Task<AcceptorStatus> GetStatus()
    {
        var state = _host!.Acceptor.State;
        return Task.FromResult(new AcceptorStatus(
            Node.Identity.Name, RuntimeIdentity, state.Promised.Round, state.Promised.Node.Value, state.TruncatedBelow, state.Accepted.Count));
    }

    /// <inheritdoc />
    protected override async Task PersistAsync(Ready ready)
    {
        // The promise or vote is durable before anyone hears of it (the host asks for nothing when an
        // Accept is already held).
        long start = Stopwatch.GetTimestamp();
        await journal.AppendAsync(ready.Acceptor, null);
        Metrics.RecordPersist(start, "acceptor");
    }
}
