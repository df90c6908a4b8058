namespace PaxosGo.Core;

/// <summary>Proposer settings. Times are in ticks of whatever clock the host feeds to <see cref="Proposer.Tick"/>.</summary>
public sealed record ProposerOptions
{
    /// <summary>At most this many commands in one slot's batch.</summary>
    public int MaxBatch { get; init; } = 64;

    /// <summary>At most this many slots in phase 2 at once (pipelining).</summary>
    public int Window { get; init; } = 16;

    /// <summary>The leader proposes no slot this far past what a majority of learners has durably applied, which bounds every acceptor's undecided window.</summary>
    public ulong MaxUnlearnedSlots { get; init; } = 1024;

    /// <summary>The leader sends a heartbeat (and retransmits Chosen to lagging learners) this often.</summary>
    public long HeartbeatTicks { get; init; } = 10;

    /// <summary>A leader not heard from for this long is presumed gone.</summary>
    public long LeaderTimeoutTicks { get; init; } = 50;

    /// <summary>Unanswered Prepare and Accept messages are sent again after this long.</summary>
    public long RetryTicks { get; init; } = 20;

    /// <summary>A random extra wait of up to this long before an election, so that competing proposers stop colliding.</summary>
    public long ElectionJitterTicks { get; init; } = 50;

    /// <summary>
    /// Thrifty phase 2: send each Accept to a bare majority (this node's acceptor and the peers that
    /// voted most recently) instead of every acceptor; a retry after <see cref="RetryTicks"/> goes to
    /// every acceptor that has not voted, so a slow or dead peer costs one retry and then drops out of
    /// the set. Fewer storage writes per slot (2 instead of 3 with three nodes).
    /// </summary>
    public bool ThriftyAccepts { get; init; }

    /// <summary>Commands queued beyond this are refused (see <see cref="Proposer.CanAccept"/>).</summary>
    public int MaxPending { get; init; } = 65536;

    /// <summary>The leader keeps at most this many chosen values for retransmission.</summary>
    public int MaxRetainedChosen { get; init; } = 65536;

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatch), "must be at least 1");
        if (Window < 1) throw new ArgumentOutOfRangeException(nameof(Window), "must be at least 1");
        if (MaxUnlearnedSlots < (ulong)Window) throw new ArgumentOutOfRangeException(nameof(MaxUnlearnedSlots), "must be at least Window");
        if (HeartbeatTicks < 1) throw new ArgumentOutOfRangeException(nameof(HeartbeatTicks), "must be at least 1");
        if (LeaderTimeoutTicks <= HeartbeatTicks) throw new ArgumentOutOfRangeException(nameof(LeaderTimeoutTicks), "must exceed HeartbeatTicks");
        if (RetryTicks < 1) throw new ArgumentOutOfRangeException(nameof(RetryTicks), "must be at least 1");
        if (ElectionJitterTicks < 1) throw new ArgumentOutOfRangeException(nameof(ElectionJitterTicks), "must be at least 1");
        if (MaxPending < 1) throw new ArgumentOutOfRangeException(nameof(MaxPending), "must be at least 1");
        if (MaxRetainedChosen < 1) throw new ArgumentOutOfRangeException(nameof(MaxRetainedChosen), "must be at least 1");
    }
}

/// <summary>
/// A proposer's durable state: the highest round it ever used. Saved before the Prepare that uses a
/// round leaves, so a restarted proposer never reuses a ballot (which could put two values in one ballot).
/// </summary>
public sealed record ProposerState(ulong MaxRound)
{
    /// <summary>A proposer that never ran.</summary>
    public static readonly ProposerState Initial = new(0);
}

/// <summary>What a proposer's step asks of its host: save <see cref="Persist"/> (when set), then send <see cref="Messages"/>.</summary>
public readonly record struct ProposerStep(ProposerState? Persist, IReadOnlyList<Envelope> Messages);

/// <summary>Where a proposer stands.</summary>
public enum ProposerRole
{
    /// <summary>Not leading; forwards commands to the leader it knows, or starts an election when there is none.</summary>
    Follower,

    /// <summary>Phase 1 sent; waiting for a majority of promises.</summary>
    Candidate,

    /// <summary>Holds a majority of promises for its ballot: proposes in phase 2 only.</summary>
    Leader,
}

/// <summary>
/// The Multi-Paxos proposer of one node. It runs phase 1 once for every open slot, recovers the
/// values earlier ballots may have chosen (highest ballot wins, gaps become no-ops), and then runs
/// phase 2 for many slots at once, batching commands into slots. A Nack from a higher ballot makes
/// it step down; it stands again, with a higher ballot and a random delay, only when commands wait
/// and no leader is heard from. Pure: time comes in through <see cref="Tick"/>, randomness through
/// the <see cref="Random"/> it is given.
/// </summary>
public sealed class Proposer
{
    private readonly NodeId[] _nodes;
    private readonly int _majority;
    private readonly ProposerOptions _options;
    private readonly Random _random;

    private readonly LinkedList<Command> _pending = new();
    private readonly HashSet<(string, ulong)> _queued = new(); // keys in _pending or in flight
    private readonly Dictionary<NodeId, Promise> _promises = new();
    private readonly SortedDictionary<ulong, InFlight> _inFlight = new();
    private readonly Dictionary<NodeId, long> _lastVote = new(); // when each acceptor's last vote arrived, in votes received
    private long _votes;
    private readonly SortedDictionary<ulong, Value> _chosen = new(); // retained for retransmission
    private readonly Dictionary<NodeId, ulong> _learnerDurable = new(); // each learner's saved snapshot frontier
    private readonly Dictionary<NodeId, ulong> _learnerApplied = new(); // each learner's applied frontier
    private readonly SortedSet<ulong> _chosenAhead = new(); // chosen slots above the contiguous frontier

    private Ballot _ballot = Ballot.Zero;       // ours, while Candidate or Leader
    private Ballot _highestSeen = Ballot.Zero;
    private Ballot _leaderBallot = Ballot.Zero; // the ballot of the leader we follow
    private NodeId? _leader;
    private ulong _prepareFrom;
    private ulong _nextSlot;
    private ulong _chosenBelow;   // every slot below is chosen (as far as this proposer knows)
    private ulong _learnedBelow;  // every slot below is applied by this node's learner
    private ulong _votedBelow;    // this node's acceptor holds a vote for a slot just below this one
    private ulong _stableBelow;   // every slot below is applied durably by a majority of learners
    private long _now;
    private long _lastPrepareSent;
    private long _electionDeadline;
    private long _lastHeartbeat = long.MinValue / 2;
    private long _lastLeaderContact = long.MinValue / 2;

    /// <summary>Creates a proposer from its durable state.</summary>
    /// <param name="id">This node.</param>
    /// <param name="nodes">Every node of the mesh (each runs an acceptor, a learner and a proposer).</param>
    /// <param name="durable">What the host last saved.</param>
    /// <param name="random">The only source of randomness (election jitter); seed it for reproducible runs.</param>
    /// <param name="options">Settings.</param>
    public Proposer(NodeId id, IReadOnlyList<NodeId> nodes, ProposerState durable, Random random, ProposerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(durable);
        ArgumentNullException.ThrowIfNull(random);
        if (!nodes.Contains(id)) throw new ArgumentException($"Node {id} is not in the mesh.", nameof(nodes));
        _options = options ?? new ProposerOptions();
        _options.Validate();
        Id = id;
        _nodes = nodes.ToArray();
        _majority = _nodes.Length / 2 + 1;
        State = durable;
        _random = random;
        _electionDeadline = 0;
    }

    /// <summary>This node.</summary>
    public NodeId Id { get; }

    /// <summary>The durable part of the state.</summary>
    public ProposerState State { get; private set; }

    /// <summary>Follower, candidate or leader.</summary>
    public ProposerRole Standing { get; private set; }

    /// <summary>Our ballot while candidate or leader.</summary>
    public Ballot Ballot => _ballot;

    /// <summary>The leader this proposer last heard from, if any (itself when leading).</summary>
    public NodeId? Leader => Standing == ProposerRole.Leader ? Id : _leader;

    /// <summary>Every slot below this is known chosen.</summary>
    public ulong ChosenBelow => _chosenBelow;

    /// <summary>Commands waiting for a slot.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Whether another command can be queued (backpressure for the host).</summary>
    public bool CanAccept => _pending.Count < _options.MaxPending;

    /// <summary>The host reports how far this node's learner has applied; a new election prepares from there.</summary>
    public ProposerStep NoteLearned(ulong nextSlot)
    {
        var fx = new Effects();
        if (nextSlot > _learnedBelow)
        {
            _learnedBelow = nextSlot;
            AdvanceChosen(nextSlot);
            FillWindow(fx);
        }

        return fx.ToStep();
    }

    /// <summary>
    /// This node's acceptor holds votes up to slot <paramref name="votedBelow"/> - 1 (durably). While
    /// its learner has not applied them and no leader is alive, this follower stands for election
    /// even with no command of its own: a vote above the learned frontier may be a chosen value that
    /// a client was already told about, and only a leader's recovery finishes it.
    /// </summary>
    public ProposerStep NoteVoted(ulong votedBelow)
    {
        if (votedBelow > _votedBelow) _votedBelow = votedBelow;
        return new Effects().ToStep();
    }

    /// <summary>A client command arrives at this node.</summary>
    public ProposerStep Submit(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Handle(new Submit(Id, new[] { command }));
    }

    /// <summary>Client commands arrive at this node together (a follower forwards them in one message).</summary>
    public ProposerStep Submit(IReadOnlyList<Command> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return Handle(new Submit(Id, commands));
    }

    /// <summary>Commands submitted here or forwarded by a follower.</summary>
    public ProposerStep Handle(Submit submit)
    {
        ArgumentNullException.ThrowIfNull(submit);
        var fx = new Effects();
        var fresh = new List<Command>(submit.Commands.Count);
        foreach (var command in submit.Commands)
        {
            if (_pending.Count >= _options.MaxPending) break; // refused: the client will retry
            if (_queued.Add(command.Key)) fresh.Add(command);
        }

        if (Standing == ProposerRole.Follower && LeaderIsAlive() && _leader is { } leader)
        {
            // Forward to the leader instead of competing with it. A command forwarded too often
            // (stale hints pointing around in a circle) is dropped; its client retries.
            foreach (var command in fresh) _queued.Remove(command.Key);
            if (fresh.Count > 0 && submit.Hops < _nodes.Length)
            {
                fx.Send(leader, Role.Proposer, new Submit(Id, fresh, submit.Hops + 1));
            }

            return fx.ToStep();
        }

        foreach (var command in fresh) _pending.AddLast(command);
        if (Standing == ProposerRole.Follower && fresh.Count > 0 && _now >= _electionDeadline)
        {
            StartElection(fx);
        }
        else if (Standing == ProposerRole.Leader)
        {
            FillWindow(fx);
        }

        return fx.ToStep();
    }

    /// <summary>Phase 1b.</summary>
    public ProposerStep Handle(Promise promise)
    {
        ArgumentNullException.ThrowIfNull(promise);
        var fx = new Effects();
        if (Standing != ProposerRole.Candidate || promise.Ballot != _ballot) return fx.ToStep();
        _promises[promise.From] = promise;
        if (_promises.Count >= _majority) BecomeLeader(fx);
        return fx.ToStep();
    }

    /// <summary>Phase 2b: a durable vote.</summary>
    public ProposerStep Handle(Accepted accepted)
    {
        ArgumentNullException.ThrowIfNull(accepted);
        var fx = new Effects();
        if (Standing != ProposerRole.Leader || accepted.Ballot != _ballot) return fx.ToStep();
        _lastVote[accepted.From] = ++_votes; // thrifty Accepts go to the acceptors that voted last
        if (!_inFlight.TryGetValue(accepted.Slot, out var slot)) return fx.ToStep();
        slot.Voters.Add(accepted.From);
        // Chosen: a majority voted for this value in this ballot. Any later ballot's phase 1 meets
        // one of these voters and so re-proposes this value.
        if (slot.Voters.Count >= _majority) MarkChosen(accepted.Slot, slot.Value, fx);
        FillWindow(fx);
        return fx.ToStep();
    }

    /// <summary>A rejection: a higher ballot exists, or the slot is long decided.</summary>
    public ProposerStep Handle(Nack nack)
    {
        ArgumentNullException.ThrowIfNull(nack);
        var fx = new Effects();
        _highestSeen = Ballot.Max(_highestSeen, nack.Promised);
        if (Standing == ProposerRole.Follower || nack.Rejected != _ballot) return fx.ToStep();
        if (nack.Promised > _ballot)
        {
            StepDown(nack.Promised.Node, nack.Promised);
        }
        else if (nack.Slot is { } slot && slot < nack.TruncatedBelow)
        {
            // Every slot below TruncatedBelow is chosen and learned by a majority: stop proposing there.
            AdvanceChosen(nack.TruncatedBelow);
            FillWindow(fx);
        }

        return fx.ToStep();
    }

    /// <summary>Another proposer leads.</summary>
    public ProposerStep Handle(Heartbeat heartbeat)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        var fx = new Effects();
        if (heartbeat.From == Id) return fx.ToStep();
        _highestSeen = Ballot.Max(_highestSeen, heartbeat.Ballot);
        if (Standing != ProposerRole.Follower)
        {
            // A lower ballot's leader is stale: acceptors will turn it away. A higher one wins.
            if (heartbeat.Ballot <= _ballot) return fx.ToStep();
            StepDown(heartbeat.From, heartbeat.Ballot);
        }

        if (heartbeat.Ballot >= _leaderBallot)
        {
            _leader = heartbeat.From;
            _leaderBallot = heartbeat.Ballot;
            _lastLeaderContact = _now;
            ForwardPending(fx);
        }

        return fx.ToStep();
    }

    /// <summary>A learner's progress; the leader uses its durable frontier to let acceptors drop decided slots.</summary>
    public ProposerStep Handle(LearnerStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var fx = new Effects();
        if (Standing != ProposerRole.Leader) return fx.ToStep();
        if (!_learnerApplied.TryGetValue(status.From, out var applied) || status.AppliedBelow > applied)
        {
            _learnerApplied[status.From] = status.AppliedBelow;
        }

        if (!_learnerDurable.TryGetValue(status.From, out var known) || status.DurableBelow > known)
        {
            _learnerDurable[status.From] = status.DurableBelow;
        }

        // The majority-th highest frontier: a majority of learners durably hold every slot below it.
        var frontiers = _nodes.Select(n => _learnerDurable.TryGetValue(n, out var v) ? v : 0UL).OrderByDescending(v => v).ToList();
        ulong stable = frontiers[_majority - 1];
        if (stable > _stableBelow)
        {
            _stableBelow = stable;
            AdvanceChosen(stable);
            while (_chosen.Count > 0 && _chosen.Keys.First() < _stableBelow) _chosen.Remove(_chosen.Keys.First());
            FillWindow(fx);
        }

        return fx.ToStep();
    }

    /// <summary>Time passes: heartbeats, retransmissions, elections.</summary>
    public ProposerStep Tick(long now)
    {
        _now = now;
        var fx = new Effects();
        switch (Standing)
        {
            case ProposerRole.Leader:
                if (now - _lastHeartbeat >= _options.HeartbeatTicks) SendHeartbeat(fx);
                foreach (var (slot, inFlight) in _inFlight)
                {
                    if (now - inFlight.LastSent < _options.RetryTicks) continue;
                    inFlight.LastSent = now;
                    var accept = new Accept(Id, _ballot, slot, inFlight.Value, _stableBelow);
                    foreach (var node in _nodes)
                    {
                        if (!inFlight.Voters.Contains(node)) fx.Send(node, Role.Acceptor, accept);
                    }
                }

                FillWindow(fx);
                break;
            case ProposerRole.Candidate:
                if (now >= _electionDeadline)
                {
                    StartElection(fx); // no majority in time: try again, higher
                }
                else if (now - _lastPrepareSent >= _options.RetryTicks)
                {
                    _lastPrepareSent = now;
                    var prepare = new Prepare(Id, _ballot, _prepareFrom);
                    foreach (var node in _nodes)
                    {
                        if (!_promises.ContainsKey(node)) fx.Send(node, Role.Acceptor, prepare);
                    }
                }

                break;
            default:
                if (_pending.Count == 0 && _votedBelow <= _learnedBelow) break; // nothing unfinished here
                if (LeaderIsAlive()) ForwardPending(fx);
                else if (now >= _electionDeadline) StartElection(fx);
                break;
        }

        return fx.ToStep();
    }

    /// <summary>
    /// The earliest time at which <see cref="Tick"/> can do anything (send a heartbeat, resend an
    /// Accept or Prepare, forward commands, start an election); <see cref="long.MaxValue"/> when no
    /// tick can (a follower with nothing unfinished). A host may skip the ticks before it, as long as
    /// every step it takes starts with a <see cref="Tick"/> of the current time, because this engine
    /// reads the time only from ticks (see <see cref="Hosting.EngineHost.NextDeadline"/>).
    /// </summary>
    public long NextDeadline
    {
        get
        {
            switch (Standing)
            {
                case ProposerRole.Leader:
                    long next = _lastHeartbeat + _options.HeartbeatTicks;
                    foreach (var inFlight in _inFlight.Values) next = Math.Min(next, inFlight.LastSent + _options.RetryTicks);
                    return next;
                case ProposerRole.Candidate:
                    return Math.Min(_electionDeadline, _lastPrepareSent + _options.RetryTicks);
                default:
                    if (_pending.Count == 0 && _votedBelow <= _learnedBelow) return long.MaxValue;
                    if (!LeaderIsAlive()) return _electionDeadline;
                    // Commands to forward go at once; otherwise the leader's silence is the next thing to act on.
                    return _pending.Count > 0 ? _now : Math.Max(_lastLeaderContact + _options.LeaderTimeoutTicks, _electionDeadline);
            }
        }
    }

    private bool LeaderIsAlive() =>
        _leader is { } leader && leader != Id && _now - _lastLeaderContact < _options.LeaderTimeoutTicks;

    private void ForwardPending(Effects fx)
    {
        if (Standing != ProposerRole.Follower || _pending.Count == 0 || !LeaderIsAlive() || _leader is not { } leader) return;
        var commands = _pending.ToList();
        _pending.Clear();
        foreach (var command in commands) _queued.Remove(command.Key);
        fx.Send(leader, Role.Proposer, new Submit(Id, commands, 1));
    }

    private void StartElection(Effects fx)
    {
        ulong round = Math.Max(State.MaxRound, _highestSeen.Round) + 1;
        State = new ProposerState(round);
        fx.Persist = State; // durable before the Prepare leaves: a ballot is never used twice
        _ballot = new Ballot(round, Id);
        _highestSeen = Ballot.Max(_highestSeen, _ballot);
        Standing = ProposerRole.Candidate;
        _promises.Clear();
        // Slots below what our learner or a majority of learners applied are chosen and can be
        // fetched from a learner; everything from there on is recovered from the acceptors.
        _prepareFrom = Math.Max(_learnedBelow, _stableBelow);
        _lastPrepareSent = _now;
        _electionDeadline = _now + _options.LeaderTimeoutTicks + _random.NextInt64(_options.ElectionJitterTicks);
        var prepare = new Prepare(Id, _ballot, _prepareFrom);
        foreach (var node in _nodes) fx.Send(node, Role.Acceptor, prepare);
    }

    private void BecomeLeader(Effects fx)
    {
        Standing = ProposerRole.Leader;
        _leader = Id;
        _inFlight.Clear();
        _chosen.Clear();
        _chosenAhead.Clear();
        _learnerDurable.Clear();
        _learnerApplied.Clear();
        // Acceptors forgot votes below their TruncatedBelow only because those slots are chosen and
        // learned by a majority: never propose there.
        ulong start = _prepareFrom;
        foreach (var promise in _promises.Values) start = Math.Max(start, promise.TruncatedBelow);
        _chosenBelow = Math.Max(_chosenBelow, start);
        _nextSlot = Math.Max(start, _chosenBelow);

        // Recovery: in each open slot, the value voted in the highest ballot may have been chosen,
        // so it is the only safe value to propose; a slot nobody in the quorum voted for cannot
        // have been chosen, so a no-op fills it.
        var best = new SortedDictionary<ulong, AcceptedEntry>();
        foreach (var promise in _promises.Values)
        {
            foreach (var entry in promise.Accepted)
            {
                if (entry.Slot < _nextSlot) continue;
                if (!best.TryGetValue(entry.Slot, out var known) || entry.Ballot > known.Ballot) best[entry.Slot] = entry;
            }
        }

        if (best.Count > 0)
        {
            ulong last = best.Keys.Last();
            for (ulong slot = _nextSlot; slot <= last; slot++)
            {
                var value = best.TryGetValue(slot, out var entry) ? entry.Value : Value.NoOp;
                ProposeAt(slot, value, fx);
            }

            _nextSlot = last + 1;
        }

        SendHeartbeat(fx);
        FillWindow(fx);
    }

    private void StepDown(NodeId? leader, Ballot leaderBallot)
    {
        // Commands in our unfinished slots may or may not get chosen by the next leader; queue them
        // again. Should both happen, the session table executes the command once.
        var requeue = new List<Command>();
        foreach (var inFlight in _inFlight.Values) requeue.AddRange(inFlight.Value.Commands);
        for (int i = requeue.Count - 1; i >= 0; i--) _pending.AddFirst(requeue[i]);
        _inFlight.Clear();
        _promises.Clear();
        Standing = ProposerRole.Follower;
        _ballot = Ballot.Zero;
        if (leader is { } l && l != Id && leaderBallot >= _leaderBallot)
        {
            _leader = l;
            _leaderBallot = leaderBallot;
        }

        // Give the winner time to show itself before standing again.
        _lastLeaderContact = _now;
        _electionDeadline = _now + _options.LeaderTimeoutTicks + _random.NextInt64(_options.ElectionJitterTicks);
    }

    private void FillWindow(Effects fx)
    {
        if (Standing != ProposerRole.Leader) return;
        while (_pending.Count > 0 && _inFlight.Count < _options.Window && _nextSlot < _stableBelow + _options.MaxUnlearnedSlots)
        {
            int n = Math.Min(_options.MaxBatch, _pending.Count);
            var batch = new List<Command>(n);
            for (int i = 0; i < n; i++)
            {
                batch.Add(_pending.First!.Value);
                _pending.RemoveFirst();
            }

            ProposeAt(_nextSlot++, Value.Batch(batch), fx);
        }
    }

    private void ProposeAt(ulong slot, Value value, Effects fx)
    {
        _inFlight[slot] = new InFlight(value, _now);
        var accept = new Accept(Id, _ballot, slot, value, _stableBelow);
        if (!_options.ThriftyAccepts)
        {
            foreach (var node in _nodes) fx.Send(node, Role.Acceptor, accept);
            return;
        }

        // A bare majority: this node's acceptor, then the peers whose votes arrived most recently
        // (ties: by id). Any later ballot's phase 1 still meets one of them.
        fx.Send(Id, Role.Acceptor, accept);
        foreach (var node in _nodes.Where(n => n != Id).OrderByDescending(n => _lastVote.GetValueOrDefault(n)).ThenBy(n => n.Value).Take(_majority - 1))
        {
            fx.Send(node, Role.Acceptor, accept);
        }
    }

    private void MarkChosen(ulong slot, Value value, Effects fx)
    {
        _inFlight.Remove(slot);
        foreach (var command in value.Commands) _queued.Remove(command.Key);
        if (_chosen.Count < _options.MaxRetainedChosen) _chosen[slot] = value;
        var chosen = new Chosen(Id, slot, value);
        foreach (var node in _nodes) fx.Send(node, Role.Learner, chosen);
        if (slot >= _chosenBelow) _chosenAhead.Add(slot);
        while (_chosenAhead.Remove(_chosenBelow)) _chosenBelow++;
    }

    private void AdvanceChosen(ulong below)
    {
        if (Standing == ProposerRole.Leader)
        {
            // Someone else saw these slots chosen. Our own proposals there may hold other values (a
            // stale leader's ballot can be lower than the one that chose), so they are not reported
            // as chosen: learners get the real values from their peers. Their commands queue again;
            // if they were chosen after all, the session table runs them once.
            var superseded = _inFlight.Keys.Where(s => s < below).ToList();
            var requeue = new List<Command>();
            foreach (var slot in superseded)
            {
                requeue.AddRange(_inFlight[slot].Value.Commands);
                _inFlight.Remove(slot);
            }

            for (int i = requeue.Count - 1; i >= 0; i--) _pending.AddFirst(requeue[i]);
            _nextSlot = Math.Max(_nextSlot, below);
        }

        if (below > _chosenBelow)
        {
            _chosenBelow = below;
            _chosenAhead.RemoveWhere(s => s < below);
            while (_chosenAhead.Remove(_chosenBelow)) _chosenBelow++;
        }
    }

    private void SendHeartbeat(Effects fx)
    {
        _lastHeartbeat = _now;
        var heartbeat = new Heartbeat(Id, _ballot, _chosenBelow);
        foreach (var node in _nodes)
        {
            if (node != Id) fx.Send(node, Role.Proposer, heartbeat);
            fx.Send(node, Role.Learner, heartbeat);
            // Learners that reported a frontier below what we still retain get the missing values again.
            ulong from = _learnerApplied.TryGetValue(node, out var next) ? next : _stableBelow;
            int sent = 0;
            foreach (var (slot, value) in _chosen)
            {
                if (slot < from) continue;
                if (slot >= _chosenBelow || ++sent > _options.Window) break;
                fx.Send(node, Role.Learner, new Chosen(Id, slot, value));
            }
        }
    }

    private sealed class InFlight(Value value, long sent)
    {
        public Value Value { get; } = value;

        public long LastSent { get; set; } = sent;

        public HashSet<NodeId> Voters { get; } = new();
    }

    private sealed class Effects
    {
        private List<Envelope>? _messages;

        public ProposerState? Persist { get; set; }

        public void Send(NodeId to, Role role, Message message) => (_messages ??= new()).Add(new Envelope(to, role, message));

        public ProposerStep ToStep() => new(Persist, (IReadOnlyList<Envelope>?)_messages ?? Array.Empty<Envelope>());
    }
}
