using PaxosGo.Core;

namespace PaxosGo.Orleans;

/// <summary>PaxosGo settings for a silo (<c>PaxosGo</c> section of the host's configuration).</summary>
public sealed class PaxosGoOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "PaxosGo";

    /// <summary>The grain storage provider the acceptors, proposers and learners persist to.</summary>
    public const string StorageProviderName = "paxosgo";

    /// <summary>
    /// The applications this cluster runs, each with its own Paxos log and replicated state machine.
    /// Filled by <see cref="Applications.ApplicationSiloBuilderExtensions.AddApplication{TMachine}"/>,
    /// which also says which state machine each one runs.
    /// </summary>
    public IList<string> Applications { get; } = new List<string>();

    /// <summary>How long one protocol tick lasts; the proposer's and learner's timeouts are counted in ticks.</summary>
    public TimeSpan Tick { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// The shortest time between two timer wake-ups of a proposer or learner grain: each arms its one
    /// timer for its engine's next deadline, and never sooner than this (a few ticks is fine).
    /// </summary>
    public TimeSpan TimerPeriod { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>How long the entry node waits for a command's result before the client must retry.</summary>
    public TimeSpan ResultTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The administrator's raw Ed25519 public key, 64 hex characters. Administrative commands
    /// (registering and revoking clients) must be signed with it. Required: only registered clients
    /// may change an application's state.
    /// </summary>
    public string? AdminPublicKey { get; set; }

    /// <summary>The largest command payload the entry node accepts (default 64 KiB).</summary>
    public int MaxCommandBytes { get; set; } = 64 * 1024;

    /// <summary>The most client sessions one node holds; opening one more evicts the least recently used.</summary>
    public int MaxSessions { get; set; } = 10_000;

    /// <summary>How long a client session may stay unused before it expires.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// Where the node's journal is kept: rows of an Azure table (the default: on Azurite a group commit
    /// costs about half as much as an append-blob append; see docs/benchmarks.md) or one append blob.
    /// A deployment must keep the kind it started with: each reads only its own layout.
    /// </summary>
    public Storage.JournalStorage Journal { get; set; } = Storage.JournalStorage.Table;

    /// <summary>
    /// Group commits between two checkpoints of the node's journal: a checkpoint writes the node's
    /// whole acceptor and proposer state to a block blob and lets the log start over (a new append
    /// blob, or the table rows it covers deleted), so recovery reads at most this many batches.
    /// </summary>
    public int JournalCheckpointEvery { get; set; } = Storage.AzureAppendBlobNodeLog.DefaultCheckpointEvery;

    /// <summary>Whether acceptors also send their votes to every learner (more messages, one hop less to learn).</summary>
    public bool AcceptorsNotifyLearners { get; set; }

    /// <summary>
    /// Proposer settings, in ticks. Defaults: heartbeat 100 ms, leader presumed gone after 600 ms; one
    /// slot in flight with batches of up to 256 commands, because each storage write is the scarce
    /// resource (on Azurite, Window 1 gave about 1.8 times the throughput of Window 16 at 64 clients:
    /// docs/benchmarks.md). Raise <see cref="ProposerOptions.Window"/> where storage is slow but not busy.
    /// </summary>
    public ProposerOptions Proposer { get; set; } = new()
    {
        MaxBatch = 256,
        Window = 1,
        ThriftyAccepts = true,
        MaxUnlearnedSlots = 256,
        HeartbeatTicks = 10,
        LeaderTimeoutTicks = 60,
        RetryTicks = 20,
        ElectionJitterTicks = 40,
    };

    /// <summary>
    /// Learner settings, in ticks. A learner's snapshot is its durable frontier (acceptors keep votes
    /// until a majority of snapshots cover them), so the proposer's <see cref="ProposerOptions.MaxUnlearnedSlots"/>
    /// must exceed <see cref="LearnerOptions.SnapshotInterval"/> plus the window.
    /// </summary>
    public LearnerOptions Learner { get; set; } = new()
    {
        SnapshotInterval = 64,
        MaxCatchUpEntries = 64,
        CatchUpRetryTicks = 20,
        AntiEntropyTicks = 100,
    };

    /// <summary>The administrator's public key as bytes.</summary>
    public byte[] AdminKeyBytes() => Convert.FromHexString(AdminPublicKey ?? throw new InvalidOperationException("PaxosGo: AdminPublicKey is not set."));

    /// <summary>Throws with a clear message when a setting is out of range.</summary>
    public void Validate()
    {
        if (Applications.Count == 0) throw new InvalidOperationException("PaxosGo: configure at least one application (siloBuilder.AddApplication<TStateMachine>(\"name\")).");
        foreach (var application in Applications)
        {
            if (!Grains.GrainKeys.IsValidName(application))
            {
                throw new InvalidOperationException($"PaxosGo: application name '{application}' must match {Grains.GrainKeys.NamePattern}.");
            }
        }

        if (Applications.Distinct(StringComparer.Ordinal).Count() != Applications.Count)
        {
            throw new InvalidOperationException("PaxosGo: application names must be unique.");
        }

        if (AdminPublicKey is null || AdminPublicKey.Length != 64 || !AdminPublicKey.All(Uri.IsHexDigit))
        {
            throw new InvalidOperationException("PaxosGo: AdminPublicKey must be the administrator's Ed25519 public key, 64 hex characters.");
        }

        if (MaxCommandBytes < 1) throw new InvalidOperationException("PaxosGo: MaxCommandBytes must be positive.");
        if (MaxSessions < 1) throw new InvalidOperationException("PaxosGo: MaxSessions must be positive.");
        if (SessionIdleTimeout <= TimeSpan.Zero) throw new InvalidOperationException("PaxosGo: SessionIdleTimeout must be positive.");
        if (Tick <= TimeSpan.Zero) throw new InvalidOperationException("PaxosGo: Tick must be positive.");
        if (TimerPeriod <= TimeSpan.Zero) throw new InvalidOperationException("PaxosGo: TimerPeriod must be positive.");
        if (ResultTimeout <= TimeSpan.Zero) throw new InvalidOperationException("PaxosGo: ResultTimeout must be positive.");
        if (JournalCheckpointEvery < 1) throw new InvalidOperationException("PaxosGo: JournalCheckpointEvery must be positive.");
        if (!Enum.IsDefined(Journal)) throw new InvalidOperationException($"PaxosGo: Journal must be {string.Join(" or ", Enum.GetNames<Storage.JournalStorage>())}.");
        Core("Proposer", Proposer.Validate);
        Core("Learner", Learner.Validate);
        if (Proposer.MaxUnlearnedSlots < (ulong)Learner.SnapshotInterval + (ulong)Proposer.Window)
        {
            throw new InvalidOperationException(
                "PaxosGo: Proposer.MaxUnlearnedSlots must be at least Learner.SnapshotInterval + Proposer.Window: acceptors keep votes until a majority of learners' snapshots cover them, so the leader must be allowed that far ahead.");
        }
    }

    /// <summary>Runs a core options check and says what is wrong in the same terms as the others (<c>PaxosGo: Proposer.Window must be at least 1</c>).</summary>
    private static void Core(string section, Action validate)
    {
        try
        {
            validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            string what = e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal);
            throw new InvalidOperationException($"PaxosGo: {section}.{e.ParamName} {what}.", e);
        }
    }
}
