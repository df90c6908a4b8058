namespace PaxosGo.Core.Hosting;

/// <summary>
/// The host logic of a <see cref="Core.Learner"/>: steps it with a batch of inputs, gathers what it
/// applied (to answer clients), the snapshot to save (the last one the batch asked for), its
/// messages, and the notice for the node's proposer.
/// </summary>
public sealed class LearnerHost : EngineHost
{
    /// <summary>Hosts <paramref name="learner"/>.</summary>
    public LearnerHost(string application, Learner learner)
        : base(application)
    {
        ArgumentNullException.ThrowIfNull(learner);
        Learner = learner;
    }

    /// <summary>The engine.</summary>
    public Learner Learner { get; }

    /// <inheritdoc />
    public override long NextDeadline => Learner.NextDeadline;

    /// <inheritdoc />
    protected override Ready Run(IReadOnlyList<object> inputs)
    {
        var l = Learner;
        Snapshot? save = null;
        Snapshot? installed = null;
        var messages = new List<Envelope>();
        var applied = new List<AppliedCommand>();
        var entries = new List<LogEntry>();
        bool registryChanged = false;
        foreach (var input in inputs)
        {
            LearnerStep step = input switch
            {
                Tick tick => l.Tick(tick.Now),
                Chosen m => l.Handle(m),
                Accepted m => l.Handle(m),
                Heartbeat m => l.Handle(m),
                CatchUpRequest m => l.Handle(m),
                CatchUpReply m => l.Handle(m),
                SnapshotNow => l.SnapshotNow(),
                _ => default,
            };
            if (step.SaveSnapshot is { } s) save = s;
            if (step.Installed is { } i)
            {
                // The installed snapshot covers what was applied before it in this batch: entries
                // then start after it, so that a reader of Ready can follow the learner's positions.
                installed = i;
                entries.Clear();
                registryChanged = true;
            }

            if (step.Append is not null) entries.AddRange(step.Append);
            if (step.Messages is not null) messages.AddRange(step.Messages);
            if (step.Applied is not null)
            {
                applied.AddRange(step.Applied);
                registryChanged |= step.Applied.Any(a => a.Outcome == ApplyOutcome.Executed && a.Command.ClientId == Replica.AdminClientId);
            }
        }

        ulong? learned = entries.Count > 0 || save is not null || installed is not null ? l.NextSlot : null;
        if (save is null && installed is null && learned is null && messages.Count == 0 && applied.Count == 0) return Ready.Empty;
        return Ready.Empty with
        {
            Snapshot = save,
            Messages = messages,
            Applied = applied,
            Entries = entries,
            Installed = installed,
            LearnedBelow = learned,
            RegistryChanged = registryChanged,
        };
    }
}
