namespace PaxosGo.Core.Simulation;

/// <summary>
/// Everything that shapes one simulated run. A run is a pure function of its config, and
/// <see cref="FromSeed"/> derives the config from the seed alone, so a seed replays a run.
/// </summary>
public sealed record SimConfig
{
    public required ulong Seed { get; init; }
    public int Nodes { get; init; } = 3;
    public int Clients { get; init; } = 3;
    public int CommandsPerClient { get; init; } = 5;

    /// <summary>Faults (drops, duplicates, crashes, partitions) happen only before this time.</summary>
    public long FaultUntil { get; init; } = 500;

    /// <summary>Once faults stop, every submitted command must be answered within this much time.</summary>
    public long LivenessBound { get; init; } = 3000;

    public double DropRate { get; init; }
    public double DuplicateRate { get; init; }
    public int MaxDelay { get; init; } = 5;

    /// <summary>Chance that a message is held back much longer than usual (up to <see cref="MaxLongDelay"/>), so that stale messages arrive late.</summary>
    public double LongDelayRate { get; init; }
    public int MaxLongDelay { get; init; } = 100;
    public double CrashRate { get; init; }
    public int MaxDowntime { get; init; } = 100;

    /// <summary>Chance that an acceptor crashes right after it made a promise durable and sent it (an adversarial moment).</summary>
    public double CrashAfterPromiseRate { get; init; }

    /// <summary>
    /// Chance that a node crashes after its learner answered clients but before the learner's write
    /// (the learner grain answers first: what it applied is chosen, so durable on a majority of acceptors).
    /// </summary>
    public double CrashBeforeLearnerWriteRate { get; init; }
    public double PartitionRate { get; init; }
    public int MaxPartitionTime { get; init; } = 200;
    public long ClientRetryTicks { get; init; } = 80;

    /// <summary>Chance that a client sends a request to a second node at the same time.</summary>
    public double FanOutRate { get; init; }
    public bool AcceptorsNotifyLearners { get; init; }

    /// <summary>Whether the leader sends each Accept to a bare majority first (<see cref="ProposerOptions.ThriftyAccepts"/>).</summary>
    public bool ThriftyAccepts { get; init; }

    /// <summary>
    /// Chance per tick (while faults last) that the adversary acts: it forges protocol messages in a
    /// node's name, replays or redirects recorded genuine ones, replays client requests, submits
    /// commands at a proposer without the entry node's attestation, and (as an insider holding one
    /// node's attestation key) proposes administrative commands without the administrator's
    /// signature and commands of unregistered clients.
    /// </summary>
    public double AdversaryRate { get; init; }

    /// <summary>Chance that a node crashes in the middle of a journal append, leaving a torn frame at the end of its log.</summary>
    public double TornAppendRate { get; init; }

    /// <summary>The node's journal is checkpointed (and its log starts over) after this many batches.</summary>
    public int CheckpointEvery { get; init; } = 16;

    /// <summary>
    /// Messages due at the same time for one role of one node are stepped together (one host step,
    /// one journal write), as a grain's pump drains its inbox; otherwise one step per message.
    /// </summary>
    public bool StepTogether { get; init; }

    /// <summary>
    /// Hosts tick a proposer or learner only once its <see cref="PaxosGo.Core.Hosting.EngineHost.NextDeadline"/>
    /// came, and start every other step with a tick of the current time, as the grains do; otherwise
    /// every engine is ticked at every instant.
    /// </summary>
    public bool SparseTicks { get; init; }

    /// <summary>The simulated host skips authentication: it handles forged and redirected messages (to show the checks catch it).</summary>
    internal bool HostAcceptsForgedMessages { get; init; }

    /// <summary>Replicas accept any administrator signature (to show the checks catch it).</summary>
    internal bool ReplicasTrustAdministrativeCommands { get; init; }
    public ProposerOptions Proposer { get; init; } = new();
    public LearnerOptions Learner { get; init; } = new();
    internal PlantedBugs Bugs { get; init; } = PlantedBugs.None;

    /// <summary>A random but reproducible fault schedule and cluster shape for <paramref name="seed"/>.</summary>
    public static SimConfig FromSeed(ulong seed) => FromSeed(seed, null);

    /// <summary>The same schedule as <see cref="FromSeed(ulong)"/>, with a planted bug.</summary>
    internal static SimConfig FromSeed(ulong seed, PlantedBugs? bugs)
    {
        var r = new Random(unchecked((int)(seed ^ (seed >> 32))));
        int window = r.Next(1, 5);
        int snapshotInterval = r.Next(2, 17);
        var proposer = new ProposerOptions
        {
            Window = window,
            MaxBatch = r.Next(1, 4),
            // Acceptors keep votes until a majority of learners' snapshots cover them, and a learner
            // snapshots every SnapshotInterval slots: the leader must be allowed past that, or it waits forever.
            MaxUnlearnedSlots = (ulong)(snapshotInterval + window + r.Next(0, 8)),
            HeartbeatTicks = r.Next(3, 11),
            LeaderTimeoutTicks = r.Next(30, 61),
            RetryTicks = r.Next(8, 21),
            ElectionJitterTicks = r.Next(10, 61),
        };
        int retry = r.Next(5, 21);
        var learner = new LearnerOptions
        {
            SnapshotInterval = snapshotInterval,
            MaxCatchUpEntries = r.Next(1, 9),
            CatchUpRetryTicks = retry,
            AntiEntropyTicks = retry * r.Next(2, 6),
            MaxBufferedAhead = (ulong)r.Next(4, 65),
        };
        bool harsh = r.Next(3) == 0; // frequent, short crashes and heavy loss
        return new SimConfig
        {
            Seed = seed,
            Nodes = r.Next(2) == 0 ? 3 : 5,
            Clients = r.Next(1, 5),
            CommandsPerClient = r.Next(2, 9),
            FaultUntil = r.Next(200, 900),
            DropRate = r.NextDouble() * (harsh ? 0.3 : 0.15),
            DuplicateRate = r.NextDouble() * 0.1,
            MaxDelay = r.Next(1, 16),
            LongDelayRate = r.NextDouble() * (harsh ? 0.1 : 0.02),
            MaxLongDelay = r.Next(20, 200),
            CrashRate = r.NextDouble() * (harsh ? 0.05 : 0.01),
            MaxDowntime = harsh ? r.Next(2, 30) : r.Next(10, 200),
            CrashAfterPromiseRate = harsh ? r.NextDouble() * 0.3 : 0,
            PartitionRate = r.NextDouble() * 0.01,
            MaxPartitionTime = r.Next(20, 300),
            ClientRetryTicks = r.Next(40, 150),
            FanOutRate = r.NextDouble() * (harsh ? 0.5 : 0.1),
            AcceptorsNotifyLearners = r.Next(2) == 0,
            Proposer = proposer,
            Learner = learner,
            Bugs = bugs ?? PlantedBugs.None,
            CrashBeforeLearnerWriteRate = harsh ? r.NextDouble() * 0.2 : 0, // drawn late: earlier fields keep their values per seed
            AdversaryRate = r.Next(4) == 0 ? 0 : r.NextDouble() * 0.05,
            TornAppendRate = harsh ? r.NextDouble() * 0.05 : r.NextDouble() * 0.005,
            CheckpointEvery = r.Next(1, 40),
            ThriftyAccepts = r.Next(2) == 0,
            StepTogether = r.Next(2) == 0, // drawn late: earlier fields keep their values per seed
            SparseTicks = r.Next(2) == 0, // drawn last
        };
    }
}
