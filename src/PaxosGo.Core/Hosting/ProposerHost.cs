using PaxosGo.Core.Journal;

namespace PaxosGo.Core.Hosting;

/// <summary>
/// The host logic of a <see cref="Core.Proposer"/>: steps it with a batch of inputs (commands that
/// arrived together are proposed together), and asks for one journal write of its round before a
/// Prepare of that round leaves.
/// </summary>
public sealed class ProposerHost : EngineHost
{
    /// <summary>Hosts <paramref name="proposer"/>.</summary>
    public ProposerHost(string application, Proposer proposer)
        : base(application)
    {
        ArgumentNullException.ThrowIfNull(proposer);
        Proposer = proposer;
    }

    /// <summary>The engine.</summary>
    public Proposer Proposer { get; }

    /// <inheritdoc />
    public override long NextDeadline => Proposer.NextDeadline;

    /// <inheritdoc />
    protected override Ready Run(IReadOnlyList<object> inputs)
    {
        var p = Proposer;
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
            if (input is Proposals proposals)
            {
                commands.AddRange(proposals.Commands);
                continue;
            }

            if (commands.Count > 0)
            {
                Take(p.Submit(commands.ToArray()));
                commands.Clear();
            }

            Take(input switch
            {
                Tick tick => p.Tick(tick.Now),
                Learned learned => p.NoteLearned(learned.NextSlot),
                Voted voted => p.NoteVoted(voted.VotedBelow),
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
        if (persist is null && messages.Count == 0) return Ready.Empty;
        return Ready.Empty with { Proposer = persist is null ? null : NodeJournal.Round(Application, persist), Messages = messages };
    }
}
