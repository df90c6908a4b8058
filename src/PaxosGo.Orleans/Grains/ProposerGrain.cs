using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;
using PaxosGo.Core;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Core.Journal;
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
    private Proposer? _proposer;

    /// <inheritdoc />
    protected override Role Role => Role.Proposer;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        var (_, state) = await journal.LoadAsync(Application, cancellationToken);
        _proposer = new Proposer(Node.Self, Node.NodeIds, state, new Random(), Node.Options.Proposer);
        StartTicking();
    }

    /// <inheritdoc />
    public Task Submit(ClientCommand[] commands, byte[] attestation)
    {
        Guard(() => Node.CheckSubmit(Application, commands, attestation));
        if (!_proposer!.CanAccept)
        {
            throw new InvalidOperationException(
                $"Node '{Node.Identity.Name}' has {_proposer.PendingCount} commands of '{Application}' waiting; retry later.");
        }

        foreach (var command in commands)
        {
            Enqueue(new Command(command.ClientId, command.RequestId, command.Payload));
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task NoteLearned(ulong nextSlot, byte[] attestation)
    {
        Guard(() => Node.CheckNoteLearned(Application, nextSlot, attestation));
        Enqueue(new LearnedInput(nextSlot));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task NoteVoted(ulong votedBelow, byte[] attestation)
    {
        Guard(() => Node.CheckNoteVoted(Application, votedBelow, attestation));
        Enqueue(new VotedInput(votedBelow));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ProposerStatus> GetStatus()
    {
        var p = _proposer!;
        string? leader = p.Leader is { } l ? Node.Identity.Mesh[l.Value].Name : null;
        return Task.FromResult(new ProposerStatus(
            Node.Identity.Name, RuntimeIdentity, p.Standing.ToString(), p.Ballot.Round, leader, p.ChosenBelow, p.PendingCount));
    }

    /// <inheritdoc />
    protected override async Task ProcessAsync(IReadOnlyList<object> inputs)
    {
        var p = _proposer!;
        ProposerState? persist = null;
        var messages = new List<Envelope>();
        var commands = new List<Command>();
        void Take(ProposerStep step)
        {
            persist = step.Persist ?? persist;
            if (step.Messages is not null) messages.AddRange(step.Messages);
        }

        foreach (var input in inputs)
        {
            if (input is Command command)
            {
                // Commands that arrived together go in together: a follower forwards them in one Submit.
                commands.Add(command);
                continue;
            }

            if (commands.Count > 0)
            {
                Take(p.Submit(commands.ToArray()));
                commands.Clear();
            }

            Take(input switch
            {
                TickInput => p.Tick(Now),
                LearnedInput learned => p.NoteLearned(learned.NextSlot),
                VotedInput voted => p.NoteVoted(voted.VotedBelow),
                Promise m => p.Handle(m),
                Accepted m => p.Handle(m),
                Nack m => p.Handle(m),
                Heartbeat m => p.Handle(m),
                LearnerStatus m => p.Handle(m),
                Submit m => p.Handle(m),
                _ => default,
            });
        }

        if (commands.Count > 0) Take(p.Submit(commands.ToArray()));

        if (persist is not null)
        {
            long start = Stopwatch.GetTimestamp();
            await journal.AppendAsync(null, NodeJournal.Round(Application, persist));
            Metrics.RecordPersist(start, "proposer"); // a round is durable before its Prepare leaves
        }

        Send(messages);
    }

    private sealed record LearnedInput(ulong NextSlot);

    private sealed record VotedInput(ulong VotedBelow);
}
