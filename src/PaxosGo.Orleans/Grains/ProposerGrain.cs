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
/// The proposer of one application on one node. Every node runs one; the core elects a leader
/// among them by ballots and keeps it with heartbeats, so failover takes the leader timeout, not a
/// membership change.
/// </summary>
[NodePinnedPlacement]
[GrainDirectory(PinnedGrainDirectory.Name)]
[Immovable(ImmovableKind.Any)]
[Reentrant]
[KeepAlive]
public sealed class ProposerGrain(
    PaxosGoNode node,
    ILogger<ProposerGrain> logger,
    INodeLog journal)
    : ProtocolGrain(node, logger), IProposerGrain, IPaxosGoGrain
{
    private ProposerHost? _host;

    /// <inheritdoc />
    protected override Role Role => Role.Proposer;

    /// <inheritdoc />
    protected override EngineHost? Host => _host;

    private Proposer Engine => _host!.Proposer;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        var (_, state) = await journal.LoadAsync(Application, cancellationToken);
        _host = new ProposerHost(Application, new Proposer(Node.Self, Node.NodeIds, state, new Random(), Node.Options.Proposer));
        StartTicking();
    }

    /// <inheritdoc />
    public Task Submit(ClientCommand[] commands, byte[] attestation)
    {
        Guard(() => Node.CheckSubmit(Application, commands, attestation));
        if (!Engine.CanAccept)
        {
            throw new InvalidOperationException(
                $"Node '{Node.Identity.Name}' has {Engine.PendingCount} commands of '{Application}' waiting; retry later.");
        }

        Enqueue(new Proposals(Array.ConvertAll(commands, c => new Command(c.ClientId, c.RequestId, c.Payload))));

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task NoteLearned(ulong nextSlot, byte[] attestation)
    {
        Guard(() => Node.CheckNoteLearned(Application, nextSlot, attestation));
        Enqueue(new Learned(nextSlot));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task NoteVoted(ulong votedBelow, byte[] attestation)
    {
        Guard(() => Node.CheckNoteVoted(Application, votedBelow, attestation));
        Enqueue(new Voted(votedBelow));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ProposerStatus> GetStatus()
    {
        var p = Engine;
        string? leader = p.Leader is { } l ? Node.Identity.Mesh[l.Value].Name : null;
        return Task.FromResult(new ProposerStatus(
            Node.Identity.Name, RuntimeIdentity, p.Standing.ToString(), p.Ballot.Round, leader, p.ChosenBelow, p.PendingCount));
    }

    /// <inheritdoc />
    protected override async Task PersistAsync(Ready ready)
    {
        long start = Stopwatch.GetTimestamp();
        await journal.AppendAsync(null, ready.Proposer);
        Metrics.RecordPersist(start, "proposer"); // a round is durable before its Prepare leaves
    }
}
