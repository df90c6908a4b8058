using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Placement;
using PaxosGo.Core;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Placement;
using PaxosGo.Orleans.Wire;

namespace PaxosGo.Orleans.Grains;

/// <summary>What an acceptor grain saves: the core's <see cref="AcceptorState"/> in the wire format.</summary>
[GenerateSerializer]
public sealed class AcceptorRecord
{
    /// <summary>The encoded state (promise, truncation point, the undecided window's votes).</summary>
    [Id(0)]
    public byte[] State { get; set; } = Array.Empty<byte>();
}

/// <summary>The acceptor of one application on one node: the core's <see cref="Acceptor"/>, saved before it answers.</summary>
[NodePinnedPlacement]
[Immovable(ImmovableKind.Any)]
[Reentrant]
public sealed class AcceptorGrain(
    PaxosGoNode node,
    ILogger<AcceptorGrain> logger,
    [PersistentState("acceptor", PaxosGoOptions.StorageProviderName)] IPersistentState<AcceptorRecord> storage)
    : ProtocolGrain(node, logger), IAcceptorGrain, IPaxosGoGrain
{
    private Acceptor? _acceptor;
    private ulong _notifiedVotedBelow;

    /// <inheritdoc />
    protected override Role Role => Role.Acceptor;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        var state = storage.RecordExists && storage.State.State.Length > 0
            ? WireCodec.DecodeAcceptorState(storage.State.State)
            : AcceptorState.Initial;
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

        if (persist is not null)
        {
            storage.State.State = WireCodec.EncodeAcceptorState(persist);
            long start = Stopwatch.GetTimestamp();
            await storage.WriteStateAsync();
            Metrics.RecordPersist(start, "acceptor"); // the promise or vote is durable before anyone hears of it
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
