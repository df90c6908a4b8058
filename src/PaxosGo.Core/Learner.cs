namespace PaxosGo.Core;

/// <summary>Learner settings.</summary>
public sealed record LearnerOptions
{
    /// <summary>Take a snapshot every this many applied slots; the host may then drop log entries below it.</summary>
    public int SnapshotInterval { get; init; } = 1024;

    /// <summary>At most this many entries in one <see cref="CatchUpReply"/>.</summary>
    public int MaxCatchUpEntries { get; init; } = 256;

    /// <summary>Ticks between catch-up requests while the learner knows it is behind.</summary>
    public long CatchUpRetryTicks { get; init; } = 20;

    /// <summary>
    /// Ticks between unprompted catch-up requests to a peer (anti-entropy), so that a learner that
    /// missed the last chosen values catches up even when no leader is sending heartbeats.
    /// </summary>
    public long AntiEntropyTicks { get; init; } = 200;

    /// <summary>Chosen values further than this ahead of the applied frontier are not buffered (catch-up fetches them later).</summary>
    public ulong MaxBufferedAhead { get; init; } = 4096;

    /// <summary>Whether the replica executes only commands of registered clients (see <see cref="ClientRegistration"/>).</summary>
    public bool RequireRegistration { get; init; }

    /// <summary>Whose signature administrative commands must carry (none: they are all rejected). The same on every node.</summary>
    public Administrator? Administrator { get; init; }

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (SnapshotInterval < 1) throw new ArgumentOutOfRangeException(nameof(SnapshotInterval), "must be at least 1");
        if (MaxCatchUpEntries < 1) throw new ArgumentOutOfRangeException(nameof(MaxCatchUpEntries), "must be at least 1");
        if (CatchUpRetryTicks < 1) throw new ArgumentOutOfRangeException(nameof(CatchUpRetryTicks), "must be at least 1");
        if (AntiEntropyTicks < CatchUpRetryTicks) throw new ArgumentOutOfRangeException(nameof(AntiEntropyTicks), "must be at least CatchUpRetryTicks");
        if (MaxBufferedAhead < 1) throw new ArgumentOutOfRangeException(nameof(MaxBufferedAhead), "must be at least 1");
    }
}

/// <summary>
/// What a learner's step asks of its host, in this order: replace the saved snapshot with
/// <see cref="SaveSnapshot"/> (when set), append to the saved log the entries of <see cref="Append"/>
/// at or above the saved snapshot's <c>NextSlot</c> and drop those below it, and only then send
/// <see cref="Messages"/> and answer clients from <see cref="Applied"/>. A reply sent before the
/// entries it reports are durable could be lost by a crash.
/// </summary>
/// <param name="SaveSnapshot">A snapshot to save in place of the previous one.</param>
/// <param name="Installed">A peer's snapshot that replaced the replica's state in this step, before <see cref="Append"/> was applied (informational: <see cref="SaveSnapshot"/> is what to save).</param>
/// <param name="Append">Entries applied in this step, in the order they were applied.</param>
/// <param name="Messages">Messages to send once the rest is durable.</param>
/// <param name="Applied">Every command of the applied entries and what became of it.</param>
public readonly record struct LearnerStep(
    Snapshot? SaveSnapshot,
    Snapshot? Installed,
    IReadOnlyList<LogEntry> Append,
    IReadOnlyList<Envelope> Messages,
    IReadOnlyList<AppliedCommand> Applied)
{
    /// <summary>Whether the step asks the host to save anything.</summary>
    public bool HasPersistence => SaveSnapshot is not null || Append.Count > 0;
}

/// <summary>
/// The learner of one node: learns which value each slot holds (from the leader's
/// <see cref="Chosen"/>, from a majority of <see cref="Accepted"/> votes in one ballot, or from a
/// peer's <see cref="CatchUpReply"/>) and applies values to the node's <see cref="Replica"/>
/// strictly in slot order with no gaps. Its durable state is a snapshot plus the applied log
/// after it, so storage per slot does not grow with the log's length.
/// </summary>
public sealed class Learner
{
    private readonly NodeId[] _peers;
    private readonly int _majority;
    private readonly LearnerOptions _options;
    private readonly SortedDictionary<ulong, Value> _ahead = new();
    private readonly Dictionary<ulong, Dictionary<Ballot, Tally>> _votes = new();
    private readonly List<LogEntry> _log = new();   // contiguous applied entries ending at NextSlot - 1
    private ulong _knownChosenBelow;
    private NodeId? _leader; // the leader whose heartbeats we last heard: it gets our progress
    private long _now;
    private long _lastCatchUp = long.MinValue / 2;
    private int _nextPeer;

    /// <summary>
    /// Creates a learner from what its host saved: the last snapshot (or none) and the log
    /// entries after it, which are replayed without producing client answers.
    /// </summary>
    public Learner(NodeId id, IReadOnlyList<NodeId> nodes, IStateMachine machine, Snapshot? snapshot, IEnumerable<LogEntry> log, LearnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(log);
        _options = options ?? new LearnerOptions();
        _options.Validate();
        Id = id;
        _peers = nodes.Where(n => n != id).ToArray();
        _majority = nodes.Count / 2 + 1;
        Replica = new Replica(machine, _options.RequireRegistration, _options.Administrator);
        if (snapshot is not null)
        {
            Replica.Restore(snapshot.Data);
            NextSlot = snapshot.NextSlot;
            LastSnapshot = snapshot;
        }

        foreach (var entry in log)
        {
            if (entry.Slot < NextSlot) continue; // covered by the snapshot
            if (entry.Slot != NextSlot)
            {
                throw new InvalidDataException($"Learner log has a gap: expected slot {NextSlot}, found {entry.Slot}.");
            }

            ApplyValue(entry, fx: null);
        }

        _knownChosenBelow = NextSlot;
    }

    /// <summary>This node.</summary>
    public NodeId Id { get; }

    /// <summary>The node's replica of the application.</summary>
    public Replica Replica { get; }

    /// <summary>Every slot below this one has been applied; this one has not.</summary>
    public ulong NextSlot { get; private set; }

    /// <summary>The last snapshot taken or installed.</summary>
    public Snapshot? LastSnapshot { get; private set; }

    /// <summary>
    /// Every slot below this is in the last snapshot, which the host saved before it sent any later
    /// message: the learner's durable frontier, which it reports to the leader.
    /// </summary>
    public ulong DurableBelow => LastSnapshot?.NextSlot ?? 0;

    /// <summary>The highest chosen-below frontier the learner has heard of (at least <see cref="NextSlot"/>).</summary>
    public ulong KnownChosenBelow => Math.Max(_knownChosenBelow, NextSlot);

    /// <summary>The leader says <paramref name="chosen"/>'s value is chosen.</summary>
    public LearnerStep Handle(Chosen chosen)
    {
        ArgumentNullException.ThrowIfNull(chosen);
        var fx = new Effects();
        Learn(chosen.Slot, chosen.Value, fx);
        return fx.ToStep();
    }

    /// <summary>An acceptor's vote: once a majority voted in the same ballot, the value is chosen.</summary>
    public LearnerStep Handle(Accepted vote)
    {
        ArgumentNullException.ThrowIfNull(vote);
        var fx = new Effects();
        if (vote.Slot < NextSlot || vote.Slot - NextSlot >= _options.MaxBufferedAhead || _ahead.ContainsKey(vote.Slot))
        {
            return fx.ToStep();
        }

        if (!_votes.TryGetValue(vote.Slot, out var byBallot))
        {
            byBallot = new Dictionary<Ballot, Tally>();
            _votes[vote.Slot] = byBallot;
        }

        if (!byBallot.TryGetValue(vote.Ballot, out var tally))
        {
            tally = new Tally(vote.Value);
            byBallot[vote.Ballot] = tally;
        }

        tally.Voters.Add(vote.From);
        // A value is chosen when a majority of acceptors voted for it in one ballot; votes from
        // different ballots do not add up (they may be for different values).
        if (tally.Voters.Count >= _majority)
        {
            Learn(vote.Slot, tally.Value, fx);
        }

        return fx.ToStep();
    }

    /// <summary>The leader's heartbeat: learn its chosen frontier and report ours.</summary>
    public LearnerStep Handle(Heartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        var fx = new Effects();
        _knownChosenBelow = Math.Max(_knownChosenBelow, heartbeat.ChosenBelow);
        _leader = heartbeat.From;
        fx.Messages.Add(new Envelope(heartbeat.From, Role.Proposer, new LearnerStatus(Id, DurableBelow, NextSlot)));
        MaybeCatchUp(fx);
        return fx.ToStep();
    }

    /// <summary>A peer asks for what it missed.</summary>
    public LearnerStep Handle(CatchUpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fx = new Effects();
        Snapshot? snapshot = null;
        ulong from = request.FromSlot;
        ulong logStart = _log.Count > 0 ? _log[0].Slot : NextSlot;
        if (from < logStart && LastSnapshot is not null && LastSnapshot.NextSlot > from)
        {
            snapshot = LastSnapshot;
            from = LastSnapshot.NextSlot;
        }

        var entries = new List<LogEntry>();
        if (from >= logStart && from < NextSlot && from - logStart < (ulong)_log.Count)
        {
            int start = (int)(from - logStart);
            int count = Math.Min(_options.MaxCatchUpEntries, _log.Count - start);
            entries.AddRange(_log.GetRange(start, count));
        }

        fx.Messages.Add(new Envelope(request.From, Role.Learner, new CatchUpReply(Id, snapshot, entries, NextSlot)));
        return fx.ToStep();
    }

    /// <summary>A peer's answer: install its snapshot if it is ahead of us, then learn its entries.</summary>
    public LearnerStep Handle(CatchUpReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var fx = new Effects();
        _knownChosenBelow = Math.Max(_knownChosenBelow, reply.NextSlot);
        ulong before = NextSlot;
        if (reply.Snapshot is { } snapshot && snapshot.NextSlot > NextSlot)
        {
            InstallSnapshot(snapshot, fx);
        }

        foreach (var entry in reply.Entries)
        {
            Learn(entry.Slot, entry.Value, fx);
        }

        // Made progress and still behind: ask the same peer for more right away.
        if (NextSlot > before && KnownChosenBelow > NextSlot)
        {
            fx.Messages.Add(new Envelope(reply.From, Role.Learner, new CatchUpRequest(Id, NextSlot)));
            _lastCatchUp = _now;
        }

        return fx.ToStep();
    }

    /// <summary>
    /// A snapshot of everything applied so far, for the host to save now (for example before it
    /// stops), so that a restart begins from here; nothing when the last snapshot is already this far.
    /// </summary>
    public LearnerStep SnapshotNow()
    {
        var fx = new Effects();
        if (NextSlot > DurableBelow) TakeSnapshot(fx);
        return fx.ToStep();
    }

    /// <summary>Time passes: ask a peer for missing slots when we know we are behind.</summary>
    public LearnerStep Tick(long now)
    {
        _now = now;
        var fx = new Effects();
        MaybeCatchUp(fx);
        return fx.ToStep();
    }

    /// <summary>
    /// The earliest time at which <see cref="Tick"/> can do anything (ask a peer for missing slots:
    /// soon when this learner knows it is behind, now and then otherwise); <see cref="long.MaxValue"/>
    /// without peers. A host may skip the ticks before it, as long as every step it takes starts with
    /// a <see cref="Tick"/> of the current time (see <see cref="Hosting.EngineHost.NextDeadline"/>).
    /// </summary>
    public long NextDeadline
    {
        get
        {
            if (_peers.Length == 0) return long.MaxValue;
            bool behind = KnownChosenBelow > NextSlot || _ahead.Count > 0;
            return _lastCatchUp + (behind ? _options.CatchUpRetryTicks : _options.AntiEntropyTicks);
        }
    }

    private void MaybeCatchUp(Effects fx)
    {
        bool behind = KnownChosenBelow > NextSlot || _ahead.Count > 0;
        long wait = behind ? _options.CatchUpRetryTicks : _options.AntiEntropyTicks;
        if (_peers.Length == 0 || _now - _lastCatchUp < wait) return;
        var peer = _peers[_nextPeer++ % _peers.Length];
        _lastCatchUp = _now;
        fx.Messages.Add(new Envelope(peer, Role.Learner, new CatchUpRequest(Id, NextSlot)));
    }

    private void Learn(ulong slot, Value value, Effects fx)
    {
        if (slot < NextSlot) return;
        if (slot - NextSlot >= _options.MaxBufferedAhead) return;
        _knownChosenBelow = Math.Max(_knownChosenBelow, slot + 1);
        _votes.Remove(slot);
        if (slot != NextSlot)
        {
            _ahead.TryAdd(slot, value);
            return;
        }

        _ahead.Remove(slot);
        ApplyValue(new LogEntry(slot, value), fx);
        DrainAhead(fx);
    }

    /// <summary>Delivers whatever was waiting for the gap that just closed, still strictly in order.</summary>
    private void DrainAhead(Effects fx)
    {
        while (_ahead.Remove(NextSlot, out var next))
        {
            ApplyValue(new LogEntry(NextSlot, next), fx);
        }

        foreach (var stale in _votes.Keys.Where(s => s < NextSlot).ToList()) _votes.Remove(stale);
    }

    private void ApplyValue(LogEntry entry, Effects? fx)
    {
        foreach (var command in entry.Value.Commands)
        {
            var applied = Replica.Apply(command);
            fx?.Applied.Add(new AppliedCommand(entry.Slot, command, applied.Outcome, applied.Result, applied.Rejection));
        }

        _log.Add(entry);
        fx?.Append.Add(entry);
        if (entry.Slot == NextSlot) NextSlot++;
        if (fx is not null && NextSlot - (LastSnapshot?.NextSlot ?? 0) >= (ulong)_options.SnapshotInterval)
        {
            TakeSnapshot(fx);
        }
    }

    private void TakeSnapshot(Effects fx)
    {
        // Keep the entries since the previous snapshot in memory for peers slightly behind; the
        // saved log may drop everything below the new snapshot.
        ulong keepFrom = LastSnapshot?.NextSlot ?? 0;
        int drop = _log.FindIndex(e => e.Slot >= keepFrom);
        if (drop > 0) _log.RemoveRange(0, drop);
        LastSnapshot = new Snapshot(NextSlot, Replica.TakeSnapshot());
        fx.SaveSnapshot = LastSnapshot;
        ReportDurable(fx);
    }

    /// <summary>
    /// Tells the leader right away that a new snapshot is durable (the message leaves after the host
    /// saved it), so acceptors can drop what it covers without waiting for a heartbeat.
    /// </summary>
    private void ReportDurable(Effects fx)
    {
        if (_leader is { } leader) fx.Messages.Add(new Envelope(leader, Role.Proposer, new LearnerStatus(Id, DurableBelow, NextSlot)));
    }

    private void InstallSnapshot(Snapshot snapshot, Effects fx)
    {
        Replica.Restore(snapshot.Data);
        NextSlot = snapshot.NextSlot;
        LastSnapshot = snapshot;
        _log.Clear();
        foreach (var s in _ahead.Keys.Where(s => s < NextSlot).ToList()) _ahead.Remove(s);
        foreach (var s in _votes.Keys.Where(s => s < NextSlot).ToList()) _votes.Remove(s);
        fx.SaveSnapshot = snapshot;
        fx.Installed = snapshot;
        fx.Append.Clear();
        ReportDurable(fx);
        DrainAhead(fx);
    }

    private sealed class Tally(Value value)
    {
        public Value Value { get; } = value;

        public HashSet<NodeId> Voters { get; } = new();
    }

    private sealed class Effects
    {
        public Snapshot? SaveSnapshot { get; set; }

        public Snapshot? Installed { get; set; }

        public List<LogEntry> Append { get; } = new();

        public List<Envelope> Messages { get; } = new();

        public List<AppliedCommand> Applied { get; } = new();

        public LearnerStep ToStep() => new(SaveSnapshot, Installed, Append, Messages, Applied);
    }
}
