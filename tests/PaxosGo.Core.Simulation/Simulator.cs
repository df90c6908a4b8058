using System.Runtime.InteropServices;
using PaxosGo.Core.Hosting;
using PaxosGo.Core.Journal;
using PaxosGo.Core.Journal.Records;

namespace PaxosGo.Core.Simulation;

/// <summary>The outcome of one simulated run.</summary>
public sealed record SimResult(ulong Seed, string? Violation, long EndTime, long Events, long Messages, int Acked, ulong Slots, long Attacks = 0, long Refused = 0, long TornRecoveries = 0)
{
    public bool Ok => Violation is null;

    public override string ToString() =>
        Ok ? $"seed {Seed}: ok at t={EndTime}, {Acked} acked, {Slots} slots, {Events} events, {Messages} messages, {Attacks} attacks ({Refused} refused by authentication), {TornRecoveries} torn journal tails dropped"
           : $"seed {Seed}: VIOLATION at t={EndTime}: {Violation}";
}

/// <summary>
/// A deterministic simulation of a whole cluster: every node runs the core's acceptor, proposer and
/// learner behind the core's host contract (<see cref="AcceptorHost"/>, <see cref="ProposerHost"/>,
/// <see cref="LearnerHost"/>: step, carry out the Ready, advance), the one the grains follow, with
/// messages that arrive together stepped together when the schedule says so; a network that drops,
/// duplicates, delays and reorders; crashes that keep only what was persisted; partitions; clients
/// that retry; an administrator that registers every client (replicas execute only registered
/// clients' commands, and only administrator-signed registrations, with a real Ed25519 key); and an
/// adversary (<see cref="SimConfig.AdversaryRate"/>). Node-to-node messages are sealed by their
/// sender (the seal covers sender, recipient, role and message, as the signed envelope does), and
/// the host refuses what is not sealed by the node it claims to come from or was redirected.
/// Single-threaded, one seeded <see cref="Random"/>, simulated time: a seed replays a run.
/// The checks (safety on every step, liveness and exactly-once at the end) are in this class too.
/// </summary>
public sealed class Simulator
{
    private readonly SimConfig _c;
    private readonly Random _r;
    private readonly PriorityQueue<SimEvent, (long Time, long Seq)> _queue = new();
    private const string Application = "sim";
    private const int Recorded = 256;
    private readonly SimNode[] _nodes;
    private readonly SimClient[] _clients;
    private readonly SimClient _admin;
    private readonly AdministratorKey _adminKey;
    private readonly AdministratorKey _strangerKey;
    private readonly Dictionary<ulong, byte[]> _genuineAdmin = new();
    private readonly Dictionary<(string, ulong), byte[]> _issued = new();
    private readonly List<Delivery> _recordedMessages = new();
    private readonly List<ClientRequest> _recordedRequests = new();
    private long _attacks;
    private long _refused;
    private long _tornRecoveries;
    private readonly NodeId[] _ids;
    private readonly int _majority;
    private readonly int[] _side;
    private readonly Dictionary<(ulong Slot, Ballot Ballot), Tally> _votes = new();
    private readonly Dictionary<ulong, Value> _chosen = new();
    private readonly Dictionary<ulong, byte[]> _snapshots = new();
    private readonly List<(string Client, ulong Request, ulong State)> _acks = new();
    private readonly Queue<string>? _trace;
    private long _seq;
    private long _now;
    private long _events;
    private long _messages;
    private bool _faults = true;
    private bool _partitioned;
    private long _healAt;
    private string? _violation;

    public Simulator(SimConfig config, bool trace = false)
    {
        _c = config;
        _r = new Random(unchecked((int)config.Seed * 31 + 7));
        _ids = Enumerable.Range(0, config.Nodes).Select(i => new NodeId(i)).ToArray();
        _majority = config.Nodes / 2 + 1;
        _side = new int[config.Nodes];
        _nodes = _ids.Select(id => new SimNode(id)).ToArray();
        _adminKey = AdministratorKey.FromNumber(config.Seed);
        _strangerKey = AdministratorKey.FromNumber(~config.Seed);
        // Each client's id is the hash of its (simulated) public key, as registrations require; a
        // client starts once the administrator's registration of it is acknowledged.
        _clients = Enumerable.Range(0, config.Clients).Select(i => new SimClient(ClientRegistration.ClientIdOf(ClientKey(config.Seed, i))) { NextAt = long.MaxValue }).ToArray();
        var script = new List<Command>();
        for (int i = 0; i < config.Clients; i++)
        {
            var registration = _adminKey.Registration(Application, (ulong)i + 1, true, ClientKey(config.Seed, i));
            _genuineAdmin[registration.RequestId] = registration.Payload;
            script.Add(registration);
        }

        _admin = new SimClient(Replica.AdminClientId) { Script = script };
        if (trace) _trace = new Queue<string>();
        foreach (var node in _nodes) Start(node);
    }

    /// <summary>A client's simulated public key: 32 bytes derived from the seed (registrations only hash it).</summary>
    private static byte[] ClientKey(ulong seed, int client) =>
        System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(seed * 1_000_003 + (ulong)client));

    /// <summary>The last events of a traced run, for reading a failure.</summary>
    public IEnumerable<string> Trace => _trace ?? Enumerable.Empty<string>();

    public SimResult Run()
    {
        long end = _c.FaultUntil + _c.LivenessBound;
        try
        {
            for (_now = 0; _now <= end && _violation is null; _now++)
            {
                if (_now == _c.FaultUntil) StopFaults();
                ProcessDue();

                if (_faults) InjectFaults();
                foreach (var node in _nodes)
                {
                    if (!node.Up || _violation is not null) continue;
                    if (!_c.SparseTicks || _now >= node.ProposerHost!.NextDeadline) StepProposer(node, new Tick(_now));
                    if (node.Up && (!_c.SparseTicks || _now >= node.LearnerHost!.NextDeadline)) StepLearner(node, [new Tick(_now)]); // (a journal append may have crashed it)
                }

                StepClient(_admin);
                foreach (var client in _clients) StepClient(client);
                if (_now >= _c.FaultUntil && AllDone() && Converged()) break;
                if (_now < _c.FaultUntil && AllDone()) _now = _c.FaultUntil - 1; // nothing left to disturb
            }

            if (_violation is null) FinalChecks();
        }
        catch (Exception e) when (e is InvalidOperationException or InvalidDataException or ArgumentException or KeyNotFoundException)
        {
            Violate($"core threw {e.GetType().Name}: {e.Message}");
        }

        ulong slots = _nodes.Max(n => n.Learner?.NextSlot ?? 0);
        _adminKey.Dispose();
        _strangerKey.Dispose();
        return new SimResult(_c.Seed, _violation, _now, _events, _messages, _acks.Count, slots, _attacks, _refused, _tornRecoveries);
    }

    private bool AllDone() => _admin.Done && _clients.All(c => c.Done);

    // ---- nodes -------------------------------------------------------------------------------

    private void Start(SimNode node)
    {
        var learners = _c.AcceptorsNotifyLearners ? _ids : Array.Empty<NodeId>();
        // Recovery, as the node's host does it: the last checkpoint, then every whole batch of the log
        // after it; a torn tail (a crash in the middle of an append) is dropped and the log starts over
        // after what is valid, so nothing is ever appended after garbage.
        var journal = NodeJournal.FromCheckpoint(node.Checkpoint);
        int valid = journal.Replay(CollectionsMarshal.AsSpan(node.JournalLog));
        if (valid < node.JournalLog.Count)
        {
            Log($"{node.Id} drops a torn journal tail of {node.JournalLog.Count - valid} bytes");
            node.JournalLog.RemoveRange(valid, node.JournalLog.Count - valid);
            _tornRecoveries++;
        }

        node.Journal = journal;
        var durable = journal.Acceptor(Application);
        // Planted bug: coming back with no promise lets this acceptor vote in a ballot lower than one
        // it promised before the crash, so a value the promise's proposer chose can be overwritten.
        var restarted = _c.Bugs.AcceptorForgetsPromiseOnRestart ? durable with { Promised = Ballot.Zero } : durable;
        node.AcceptorHost = new AcceptorHost(Application, new Acceptor(node.Id, restarted, learners), durable);
        node.ProposerHost = new ProposerHost(Application, new Proposer(node.Id, _ids, journal.Proposer(Application), new Random(_r.Next()), _c.Proposer with { ThriftyAccepts = _c.ThriftyAccepts }));
        var administrator = _c.ReplicasTrustAdministrativeCommands ? new Administrator(Application, new AnySignature()) : _adminKey.For(Application);
        var learnerOptions = _c.Learner with { RequireRegistration = true, Administrator = administrator };
        // Learners save snapshots only: a restarted learner starts from its last one and learns the
        // rest again (from peers, or from the acceptors, which keep votes no majority of snapshots covers).
        node.LearnerHost = new LearnerHost(Application, new Learner(node.Id, _ids, new CounterStateMachine(), node.Snapshot, Array.Empty<LogEntry>(), learnerOptions));
        node.Up = true;
        var learner = node.LearnerHost.Learner;
        if (learner.NextSlot != (node.Snapshot?.NextSlot ?? 0) && !_c.Bugs.LearnerDeliversOutOfOrder)
        {
            Violate($"{node.Id} restarted at slot {learner.NextSlot} but its saved snapshot covers {node.Snapshot?.NextSlot ?? 0}");
        }

        node.AppliedCount = learner.NextSlot;
        Log($"{node.Id} starts: promised {node.AcceptorHost.Acceptor.State.Promised}, next slot {learner.NextSlot}");
        StepProposer(node, new Learned(learner.NextSlot));
        if (node.Up && node.AcceptorHost.InitialVotedBelow() is { } voted) StepProposer(node, new Voted(voted));
    }

    private void Crash(SimNode node)
    {
        node.Up = false;
        node.AcceptorHost = null;
        node.ProposerHost = null;
        node.LearnerHost = null;
        node.PendingReplies.Clear();
        Log($"{node.Id} crashes");
    }

    /// <summary>
    /// Processes every event due now, in order; with <see cref="SimConfig.StepTogether"/>, the
    /// messages due now for one role of one node are stepped together, where the first of them falls
    /// (as a grain's pump drains its inbox).
    /// </summary>
    private void ProcessDue()
    {
        // Events that processing adds for now (local messages) form the next round.
        while (_violation is null && _queue.TryPeek(out _, out var at) && at.Time <= _now) ProcessRound();
    }

    private void ProcessRound()
    {
        var due = new List<SimEvent>();
        while (_queue.TryPeek(out _, out var at) && at.Time <= _now) due.Add(_queue.Dequeue());
        if (!_c.StepTogether)
        {
            foreach (var e in due)
            {
                if (_violation is not null) return;
                _events++;
                Process(e);
            }

            return;
        }

        var groups = new Dictionary<(int, Role), List<Delivery>>();
        var ordered = new List<SimEvent>(due.Count);
        foreach (var e in due)
        {
            if (e is not Delivery d)
            {
                ordered.Add(e);
                continue;
            }

            var key = (d.Envelope.To.Value, d.Envelope.Role);
            if (groups.TryGetValue(key, out var group))
            {
                group.Add(d);
                continue;
            }

            groups[key] = group = [d];
            ordered.Add(new DeliveryGroup(group));
        }

        foreach (var e in ordered)
        {
            if (_violation is not null) return;
            _events++;
            Process(e);
        }
    }

    /// <summary>Delivers messages for one role of one node; what fails authentication is refused, the rest stepped together.</summary>
    private void Deliver(IReadOnlyList<Delivery> deliveries)
    {
        var envelope = deliveries[0].Envelope;
        var to = _nodes[envelope.To.Value];
        var messages = new List<Message>(deliveries.Count);
        foreach (var d in deliveries)
        {
            if (!to.Up || Cut(d.Envelope.Message.From.Value, to.Id.Value)) continue;
            if (!Authentic(d))
            {
                // As EnvelopeVerifier: not sealed by the node it names, or sealed for another recipient.
                _refused++;
                Log($"{to.Id}.{d.Envelope.Role} refuses an unauthenticated {Describe(d.Envelope.Message)}");
                continue;
            }

            Log($"{to.Id}.{d.Envelope.Role} <- {Describe(d.Envelope.Message)}");
            messages.Add(d.Envelope.Message);
        }

        if (messages.Count == 0 || !to.Up) return;
        if (!Handles(envelope.Role, messages))
        {
            Violate($"{to.Id}.{envelope.Role} got a message it has no handler for: {string.Join(", ", messages.Select(m => m.GetType().Name))}");
            return;
        }

        Deliver(to, envelope.Role, messages);
    }

    /// <summary>Whether every message is one the role handles (the simulated network never misroutes).</summary>
    private static bool Handles(Role role, List<Message> messages) => messages.All(m => (role, m) switch
    {
        (Role.Acceptor, Prepare or Accept) => true,
        (Role.Proposer, Promise or Accepted or Nack or Heartbeat or LearnerStatus or Submit) => true,
        (Role.Learner, Chosen or Accepted or Heartbeat or CatchUpRequest or CatchUpReply) => true,
        _ => false,
    });

    private void Process(SimEvent e)
    {
        switch (e)
        {
            case Delivery d:
                Deliver([d]);
                break;
            case ClientRequest cr:
                var node = _nodes[cr.Node];
                if (!node.Up) return;
                if (!cr.Authentic && !_c.HostAcceptsForgedMessages)
                {
                    _refused++; // the entry node checks the client's signature or session MAC
                    return;
                }

                OnClientRequest(node, cr.Client, cr.Command);
                break;
            case LocalSubmit ls:
                var at = _nodes[ls.Node];
                if (!at.Up) return;
                if (!ls.Attested && !_c.HostAcceptsForgedMessages)
                {
                    _refused++; // the proposer checks the entry grain's attestation
                    return;
                }

                Log($"{at.Id}.Proposer <- adversary submits {ls.Command}");
                if (at.Proposer!.CanAccept) StepProposer(at, new Proposals([ls.Command]));
                break;
            case DeliveryGroup g:
                Deliver(g.Deliveries);
                break;
            case ClientReply reply:
                OnReply(ClientAt(reply.Client), reply.RequestId, reply.Result);
                break;
            case Restart restart:
                if (!_nodes[restart.Node].Up) Start(_nodes[restart.Node]);
                break;
        }
    }

    /// <summary>Steps one role of a node with messages that arrived together (all for that role).</summary>
    private void Deliver(SimNode node, Role role, List<Message> messages)
    {
        switch (role)
        {
            case Role.Acceptor:
                var promised = StepAcceptor(node, messages);
                if (_faults && promised is { Acceptor: not null } && messages.Any(m => m is Prepare) && _r.NextDouble() < _c.CrashAfterPromiseRate)
                {
                    Crash(node);
                    Enqueue(_now + _r.Next(1, _c.MaxDowntime + 1), new Restart(node.Id.Value));
                }

                break;
            case Role.Proposer:
                // Planted bug: a new leader that ignores the votes its promises report.
                StepProposer(node, _c.Bugs.ProposerSkipsRecovery ? messages.ConvertAll(m => m is Promise p ? p with { Accepted = [] } : m) : messages);
                break;
            default:
                // Planted bug: a learner that applies a value chosen ahead of its next slot at once, as that slot's.
                ulong next = node.Learner!.NextSlot;
                StepLearner(node, _c.Bugs.LearnerDeliversOutOfOrder ? messages.ConvertAll(m => m is Chosen c && c.Slot > next ? c with { Slot = next } : m) : messages);
                break;
        }
    }

    /// <summary>The acceptor's turn of the host contract; null when the node crashed in its journal write.</summary>
    private Ready? StepAcceptor(SimNode node, IReadOnlyList<object> inputs)
    {
        var host = node.AcceptorHost!;
        var ready = host.Step(inputs);
        // Durable before anything is sent: one group commit in the node's journal (nothing, when the
        // step changed nothing, as for an Accept the acceptor already holds).
        if (ready.HasJournalWrite && !Persist(node, ready.Acceptor, ready.Proposer)) return null;
        foreach (var envelope in ready.Messages)
        {
            if (envelope.Role == Role.Proposer && envelope.Message is Accepted vote) RecordVote(vote);
        }

        Send(node, ready.Messages);
        host.Advance(ready);
        if (ready.VotedBelow is { } voted && node.Up) StepProposer(node, new Voted(voted));
        return ready;
    }

    private void StepProposer(SimNode node, object input) => StepProposer(node, [input]);

    /// <summary>The proposer's turn of the host contract.</summary>
    private void StepProposer(SimNode node, IReadOnlyList<object> inputs)
    {
        var host = node.ProposerHost!;
        var ready = host.Step(WithClock(inputs));
        if (ready.HasJournalWrite && !Persist(node, ready.Acceptor, ready.Proposer)) return;
        Send(node, ready.Messages);
        host.Advance(ready);
    }

    /// <summary>With sparse ticks, a step starts with a tick of the current time, as a grain's does (engines read time only from ticks).</summary>
    private IReadOnlyList<object> WithClock(IReadOnlyList<object> inputs) =>
        _c.SparseTicks && (inputs.Count == 0 || inputs[0] is not Tick) ? [new Tick(_now), .. inputs] : inputs;

    /// <summary>
    /// Appends one batch to the node's journal, as its host does; false when the node crashed in the
    /// middle of the append (a torn frame stays at the log's end, and nothing of the step is sent).
    /// Every so many batches the journal is checkpointed and the log starts over.
    /// </summary>
    private bool Persist(SimNode node, AcceptorChange? acceptor, ProposerRound? proposer)
    {
        var journal = node.Journal!;
        var batch = journal.NextBatch(acceptor is null ? [] : [acceptor], proposer is null ? [] : [proposer]);
        byte[] frame = NodeJournal.Frame(batch);
        if (_faults && _c.TornAppendRate > 0 && _r.NextDouble() < _c.TornAppendRate)
        {
            int written = _r.Next(1, frame.Length);
            node.JournalLog.AddRange(frame.AsSpan(0, written));
            Log($"{node.Id} crashes in the middle of a journal append ({written} of {frame.Length} bytes written)");
            Crash(node);
            Enqueue(_now + _r.Next(1, _c.MaxDowntime + 1), new Restart(node.Id.Value));
            return false;
        }

        node.JournalLog.AddRange(frame);
        journal.Apply(batch);
        if (journal.BatchesSinceCheckpoint >= _c.CheckpointEvery)
        {
            node.Checkpoint = journal.TakeCheckpoint();
            node.JournalLog.Clear();
        }

        return true;
    }

    private void StepLearner(SimNode node, IReadOnlyList<object> inputs)
    {
        var host = node.LearnerHost!;
        var step = host.Step(WithClock(inputs));
        // Clients hear of applied commands before the learner's own write, as the learner grain
        // answers them: every applied value is chosen, so already durable on a majority of acceptors.
        foreach (var applied in step.Applied)
        {
            if (applied.Result is { } result && node.PendingReplies.Remove(applied.Command.Key, out int client))
            {
                Transmit(new ClientReply(client, applied.Command.RequestId, result), loss: true);
            }
        }

        bool writes = step.Snapshot is not null || step.Installed is not null;
        if (_faults && writes && _c.CrashBeforeLearnerWriteRate > 0 && _r.NextDouble() < _c.CrashBeforeLearnerWriteRate)
        {
            // Nothing of this step became durable: the node restarts from its previous snapshot.
            Log($"{node.Id} crashes after answering, before its learner write");
            Crash(node);
            Enqueue(_now + _r.Next(1, _c.MaxDowntime + 1), new Restart(node.Id.Value));
            return;
        }

        if (step.Installed is { } installed) node.AppliedCount = installed.NextSlot;
        if (step.Snapshot is { } snapshot)
        {
            if (_snapshots.TryGetValue(snapshot.NextSlot, out var canonical))
            {
                if (!canonical.AsSpan().SequenceEqual(snapshot.Data))
                {
                    Violate($"replicas diverge: {node.Id}'s snapshot at slot {snapshot.NextSlot} differs from another replica's");
                    return;
                }
            }
            else
            {
                _snapshots[snapshot.NextSlot] = snapshot.Data;
            }

            node.Snapshot = snapshot;
        }

        foreach (var entry in step.Entries)
        {
            // Prefix check: the k-th value a replica applies must be the value chosen in slot k.
            ulong position = node.AppliedCount++;
            if (!_chosen.TryGetValue(position, out var chosen))
            {
                Violate($"{node.Id} applied {entry.Value} as its value #{position}, but nothing is chosen in slot {position}");
                return;
            }

            if (!chosen.Equals(entry.Value))
            {
                Violate($"{node.Id} applied {entry.Value} as its value #{position}, but slot {position} chose {chosen}: applied sequences are not prefixes of each other");
                return;
            }
        }

        Send(node, step.Messages);
        host.Advance(step);
        if (node.Up && step.LearnedBelow is { } learned) StepProposer(node, new Learned(learned));
    }

    private bool Authentic(Delivery d) =>
        _c.HostAcceptsForgedMessages
        || (d.Seal is { } seal && seal.SignedBy == d.Envelope.Message.From.Value && ReferenceEquals(seal.Covers.Message, d.Envelope.Message)
            && seal.Covers.To == d.Envelope.To && seal.Covers.Role == d.Envelope.Role);

    private void OnClientRequest(SimNode node, int client, Command command)
    {
        // A retry of a command this replica already executed is answered from the session table.
        if (node.Learner!.Replica.TryGetCachedResult(command.ClientId, command.RequestId, out var cached))
        {
            Transmit(new ClientReply(client, command.RequestId, cached!), loss: true);
            return;
        }

        node.PendingReplies[command.Key] = client;
        if (node.Proposer!.CanAccept) StepProposer(node, new Proposals([command]));
    }

    // ---- network -----------------------------------------------------------------------------

    private void Send(SimNode from, IReadOnlyList<Envelope> messages)
    {
        foreach (var envelope in messages)
        {
            _messages++;
            var delivery = new Delivery(envelope, new Seal(from.Id.Value, envelope));
            if (envelope.To == from.Id)
            {
                Enqueue(_now, delivery); // local: not lost
                continue;
            }

            Record(_recordedMessages, delivery);
            if (Cut(from.Id.Value, envelope.To.Value)) continue;
            Transmit(delivery, loss: true);
        }
    }

    private void Transmit(SimEvent e, bool loss)
    {
        if (loss && _faults && _r.NextDouble() < _c.DropRate) return;
        Enqueue(_now + Delay(loss), e);
        if (loss && _faults && _r.NextDouble() < _c.DuplicateRate) Enqueue(_now + Delay(loss), e);
    }

    private int Delay(bool faulty) =>
        faulty && _faults && _r.NextDouble() < _c.LongDelayRate ? _r.Next(1, _c.MaxLongDelay + 1) : _r.Next(1, _c.MaxDelay + 1);

    private void Enqueue(long at, SimEvent e) => _queue.Enqueue(e, (at, _seq++));

    private bool Cut(int a, int b) => _partitioned && _side[a] != _side[b];

    // ---- faults ------------------------------------------------------------------------------

    /// <summary>Keeps up to <see cref="Recorded"/> items for the adversary to replay (the newest replace random older ones).</summary>
    private void Record<T>(List<T> recorded, T item)
    {
        if (_c.AdversaryRate <= 0) return;
        if (recorded.Count < Recorded) recorded.Add(item);
        else recorded[_r.Next(Recorded)] = item;
    }

    private void InjectFaults()
    {
        if (_c.AdversaryRate > 0 && _r.NextDouble() < _c.AdversaryRate) Attack();

        if (_r.NextDouble() < _c.CrashRate)
        {
            var node = _nodes[_r.Next(_nodes.Length)];
            if (node.Up)
            {
                Crash(node);
                Enqueue(_now + _r.Next(1, _c.MaxDowntime + 1), new Restart(node.Id.Value));
            }
        }

        if (!_partitioned && _r.NextDouble() < _c.PartitionRate)
        {
            for (int i = 0; i < _side.Length; i++) _side[i] = _r.Next(2);
            _partitioned = true;
            _healAt = _now + _r.Next(10, _c.MaxPartitionTime + 1);
            Log($"partition {string.Join("", _side)}");
        }
        else if (_partitioned && _now >= _healAt)
        {
            _partitioned = false;
            Log("partition healed");
        }
    }

    // ---- adversary ---------------------------------------------------------------------------

    private void Attack()
    {
        _attacks++;
        int node = _r.Next(_nodes.Length);
        var claimed = _ids[_r.Next(_ids.Length)];
        ulong slot = (ulong)_r.Next(0, (int)Math.Min(int.MaxValue - 8, (long)(_chosen.Count + 4)));
        var hostile = HostileValue();
        var high = new Ballot(1_000_000 + (ulong)_r.Next(1000), claimed);
        switch (_r.Next(9))
        {
            case 0:
                // Forged in a node's name: the forger holds no node key, so nothing seals these.
                Message forged = _r.Next(4) switch
                {
                    0 => new Prepare(claimed, high, 0),
                    1 => new Accept(claimed, high, slot, hostile, 0),
                    2 => new Heartbeat(claimed, high, slot + 100),
                    _ => new Submit(claimed, hostile.Commands),
                };
                var role = forged is Prepare or Accept ? Role.Acceptor : Role.Proposer;
                Log($"adversary forges {Describe(forged)} to {_ids[node]}.{role}");
                Transmit(new Delivery(new Envelope(_ids[node], role, forged), null), loss: false);
                break;
            case 1:
                var lie = _r.Next(3) switch
                {
                    0 => (Message)new Chosen(claimed, slot, hostile),
                    1 => new Accepted(claimed, high, slot, hostile),
                    _ => new CatchUpReply(claimed, null, [new LogEntry(slot, hostile)], slot + 1),
                };
                Log($"adversary forges {Describe(lie)} to {_ids[node]}.Learner");
                Transmit(new Delivery(new Envelope(_ids[node], Role.Learner, lie), null), loss: false);
                break;
            case 2 or 3:
                // A genuine message again, arbitrarily late (a replay): the protocol must tolerate it.
                if (_recordedMessages.Count == 0) break;
                var replay = _recordedMessages[_r.Next(_recordedMessages.Count)];
                Log($"adversary replays {Describe(replay.Envelope.Message)} to {replay.Envelope.To}.{replay.Envelope.Role}");
                Transmit(replay, loss: false);
                break;
            case 4:
                // A genuine message delivered to another node (same role): its seal names the first.
                if (_recordedMessages.Count == 0) break;
                var original = _recordedMessages[_r.Next(_recordedMessages.Count)];
                var redirected = original.Envelope with { To = _ids[node] };
                if (redirected == original.Envelope) break;
                Transmit(original with { Envelope = redirected }, loss: false);
                break;
            case 5:
                // A client's request again (it is signed by the client, so it passes): executed once at most.
                if (_recordedRequests.Count == 0) break;
                var request = _recordedRequests[_r.Next(_recordedRequests.Count)];
                Transmit(request with { Node = node }, loss: false);
                break;
            case 6:
                // A command in a registered client's name that the client never signed, or one put
                // straight at a proposer without the entry node's attestation: both refused by the host.
                var client = _clients[_r.Next(_clients.Length)];
                var fake = new Command(client.Id, client.LastRequest + 1 + (ulong)_r.Next(3), [66]);
                if (_r.Next(2) == 0) Transmit(new ClientRequest(_r.Next(_clients.Length), node, fake, Authentic: false), loss: false);
                else Transmit(new LocalSubmit(node, fake, Attested: false), loss: false);
                break;
            default:
                // An insider with one node's attestation key proposes straight into the log: only the
                // replicas' own checks stand between these commands and the state.
                Transmit(new LocalSubmit(node, InsiderCommand(), Attested: true), loss: false);
                break;
        }
    }

    /// <summary>A value the adversary wants in the log: an administrative command without the administrator's signature, or an unregistered client's command.</summary>
    private Value HostileValue() => Value.Batch([InsiderCommand()]);

    private Command InsiderCommand()
    {
        var mallory = ClientKey(_c.Seed, 1000 + _r.Next(3));
        ulong request = (ulong)_r.Next(1, _c.Clients + 4);
        byte[] body = new ClientRegistration(true, ClientRegistration.ClientIdOf(mallory), mallory).Encode();
        return _r.Next(5) switch
        {
            0 => new Command(Replica.AdminClientId, request, body), // unsigned
            1 => new Command(Replica.AdminClientId, request, _strangerKey.SignedPayload(Application, request, body)), // another key
            2 => new Command(Replica.AdminClientId, request + 100, _genuineAdmin.Count > 0 ? _genuineAdmin[1] : body), // a genuine signature, another request id
            3 => new Command(Replica.AdminClientId, request, AdministrativeCommand.Wrap([1, 2, 3], new byte[64])), // garbage
            _ => new Command(ClientRegistration.ClientIdOf(mallory), request, [77]), // never registered
        };
    }

    private void StopFaults()
    {
        _faults = false;
        _partitioned = false;
        foreach (var node in _nodes)
        {
            if (!node.Up) Start(node);
        }

        Log("faults stop");
    }

    // ---- clients -----------------------------------------------------------------------------

    private void StepClient(SimClient client)
    {
        if (client.Done) return;
        if (client.Current is null)
        {
            if (_now < client.NextAt) return;
            ulong request = client.LastRequest + 1;
            if (client.Script is { } script)
            {
                client.Current = script[(int)request - 1];
            }
            else
            {
                byte[] payload = _r.Next(3) == 0 ? BitConverter.GetBytes((ulong)_r.Next(1, 10)) : new[] { (byte)request };
                client.Current = new Command(client.Id, request, payload);
                _issued[client.Current.Key] = payload;
            }
        }
        else if (_now - client.SentAt < _c.ClientRetryTicks)
        {
            return;
        }

        // First try or retry (same request id) to any node: the one tried before may be down.
        client.SentAt = _now;
        int index = client == _admin ? AdminIndex : Array.IndexOf(_clients, client);
        var sent = new ClientRequest(index, _r.Next(_nodes.Length), client.Current);
        Record(_recordedRequests, sent);
        Transmit(sent, loss: true);
        // Impatient clients send the same request to a second node at once, so proposers compete.
        if (_r.NextDouble() < _c.FanOutRate) Transmit(sent with { Node = _r.Next(_nodes.Length) }, loss: true);
    }

    private const int AdminIndex = -1;

    private SimClient ClientAt(int index) => index == AdminIndex ? _admin : _clients[index];

    private void OnReply(SimClient client, ulong request, CommandResult result)
    {
        if (client.Current is null || client.Current.RequestId != request) return; // late duplicate reply
        _acks.Add((client.Id, request, result.State));
        Log($"{client.Id} acked #{request} at state {result.State}");
        client.LastRequest = request;
        client.Current = null;
        client.NextAt = _now + _r.Next(0, 10);
        if (client.Script is { } script)
        {
            // The administrator's registration of client #request is acknowledged: that client may start.
            _clients[(int)request - 1].NextAt = _now;
            if (client.LastRequest == (ulong)script.Count) client.Done = true;
        }
        else if (client.LastRequest == (ulong)_c.CommandsPerClient)
        {
            client.Done = true;
        }
    }

    // ---- checks ------------------------------------------------------------------------------

    private void RecordVote(Accepted vote)
    {
        var key = (vote.Slot, vote.Ballot);
        if (!_votes.TryGetValue(key, out var tally))
        {
            tally = new Tally(vote.Value);
            _votes[key] = tally;
        }
        else if (!tally.Value.Equals(vote.Value))
        {
            Violate($"two values in slot {vote.Slot} ballot {vote.Ballot}: {tally.Value} and {vote.Value}");
            return;
        }

        tally.Voters.Add(vote.From.Value);
        if (tally.Voters.Count < _majority) return;
        // At most one value is ever chosen per slot.
        if (_chosen.TryGetValue(vote.Slot, out var chosen))
        {
            if (!chosen.Equals(vote.Value)) Violate($"slot {vote.Slot}: {chosen} was chosen, then {vote.Value} was chosen in ballot {vote.Ballot}");
        }
        else
        {
            _chosen[vote.Slot] = vote.Value;
            Log($"slot {vote.Slot} chosen: {vote.Value} in {vote.Ballot}");
        }
    }

    private bool Converged()
    {
        if (_nodes.Any(n => !n.Up)) return false;
        ulong next = _nodes[0].Learner!.NextSlot;
        // Every chosen slot is learned everywhere: a chosen value may already have been acknowledged.
        ulong chosenBelow = _chosen.Count == 0 ? 0 : _chosen.Keys.Max() + 1;
        return next >= chosenBelow && _nodes.All(n => n.Learner!.NextSlot == next);
    }

    private void FinalChecks()
    {
        // Liveness: faults stopped and every node is up and connected; every command must be answered.
        foreach (var client in _clients)
        {
            if (!client.Done)
            {
                Violate($"liveness: faults stopped at t={_c.FaultUntil} but {client.Id} still waits for request #{client.LastRequest + 1} at t={_now}");
                return;
            }
        }

        if (!Converged())
        {
            Violate($"liveness: replicas did not converge: next slots {string.Join(",", _nodes.Select(n => n.Learner?.NextSlot))}");
            return;
        }

        // Exactly-once, checked against an independent replay of the chosen sequence: a command
        // executes the first time its request id is new for its client, if its client is registered
        // by then; an administrative command executes only if it is one the administrator made.
        ulong frontier = _nodes[0].Learner!.NextSlot;
        var last = new Dictionary<string, ulong>(StringComparer.Ordinal);
        var executedAt = new Dictionary<(string, ulong), ulong>();
        var registered = new HashSet<string>(StringComparer.Ordinal);
        ulong state = 0, total = 0;
        for (ulong slot = 0; slot < frontier; slot++)
        {
            foreach (var command in _chosen[slot].Commands)
            {
                if (last.TryGetValue(command.ClientId, out var l) && command.RequestId <= l) continue;
                if (command.ClientId == Replica.AdminClientId)
                {
                    if (!_genuineAdmin.TryGetValue(command.RequestId, out var genuine) || !genuine.AsSpan().SequenceEqual(command.Payload)) continue;
                    AdministrativeCommand.TryUnwrap(genuine, out var body, out _);
                    registered.Add(ClientRegistration.TryDecode(body)!.ClientId);
                }
                else if (!registered.Contains(command.ClientId))
                {
                    continue;
                }
                else
                {
                    // Only what the client itself sent may execute in its name.
                    if (!_issued.TryGetValue(command.Key, out var sent) || !sent.AsSpan().SequenceEqual(command.Payload))
                    {
                        Violate($"slot {slot}: {command} executes in the name of its client, which never sent it");
                        return;
                    }

                    total += CounterStateMachine.IncrementOf(command.Payload);
                }

                last[command.ClientId] = command.RequestId;
                state++;
                executedAt[command.Key] = state;
            }
        }

        foreach (var node in _nodes)
        {
            var replica = node.Learner!.Replica;
            if (replica.State != state)
            {
                Violate($"{node.Id}: state {replica.State} but {state} distinct commands were applied");
                return;
            }

            if (((CounterStateMachine)replica.Machine).Total != total)
            {
                Violate($"{node.Id}: counter total {((CounterStateMachine)replica.Machine).Total}, expected {total}");
                return;
            }

            if (!replica.RegisteredClients.Keys.ToHashSet(StringComparer.Ordinal).SetEquals(registered))
            {
                Violate($"{node.Id}: registered clients [{string.Join(",", replica.RegisteredClients.Keys.Select(Short))}], but the administrator registered [{string.Join(",", registered.Select(Short))}]");
                return;
            }
        }

        foreach (var (client, request, ackedState) in _acks)
        {
            if (!executedAt.TryGetValue((client, request), out var at))
            {
                Violate($"{client}#{request} was acknowledged (state {ackedState}) but never executed");
                return;
            }

            if (at != ackedState)
            {
                Violate($"{client}#{request} was acknowledged with state {ackedState} but executed at state {at}");
                return;
            }
        }

        int clientAcks = _acks.Count(a => a.Client != Replica.AdminClientId);
        if (clientAcks != _c.Clients * _c.CommandsPerClient)
        {
            Violate($"{clientAcks} acknowledgements for {_c.Clients * _c.CommandsPerClient} commands");
        }
    }

    private void Violate(string what)
    {
        _violation ??= what;
        Log("VIOLATION " + what);
    }

    private void Log(string line)
    {
        if (_trace is null) return;
        _trace.Enqueue($"t={_now} {line}");
        while (_trace.Count > 400) _trace.Dequeue();
    }

    private static string Short(string clientId) => clientId.Length > 8 ? clientId[..8] : clientId;

    private static string Describe(Message m) => m switch
    {
        Promise p => $"Promise from {p.From} {p.Ballot} trunc<{p.TruncatedBelow} [{string.Join(" ", p.Accepted.Select(a => $"{a.Slot}:{a.Ballot}:{a.Value}"))}]",
        CatchUpReply c => $"CatchUpReply from {c.From} snap={c.Snapshot?.NextSlot} entries={string.Join(",", c.Entries.Select(e => e.Slot))} next={c.NextSlot}",
        Submit s => $"Submit from {s.From} [{string.Join(",", s.Commands)}] hops {s.Hops}",
        _ => m.ToString(),
    };

    // ---- types -------------------------------------------------------------------------------

    private abstract record SimEvent;

    /// <summary>A message on the network; <paramref name="Seal"/> is its sender's signature (null: nobody could sign it).</summary>
    private sealed record Delivery(Envelope Envelope, Seal? Seal) : SimEvent;

    /// <summary>Messages due at the same time for one role of one node, stepped together.</summary>
    private sealed record DeliveryGroup(List<Delivery> Deliveries) : SimEvent;

    /// <summary>What a node's signature covers: itself as the sender, and the envelope as it sent it.</summary>
    private sealed record Seal(int SignedBy, Envelope Covers);

    private sealed record ClientRequest(int Client, int Node, Command Command, bool Authentic = true) : SimEvent;

    /// <summary>A command put straight at a proposer: by the node's entry grain (attested) or by anyone else.</summary>
    private sealed record LocalSubmit(int Node, Command Command, bool Attested) : SimEvent;

    private sealed class AnySignature : ISignatureVerifier
    {
        public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) => true;
    }

    private sealed record ClientReply(int Client, ulong RequestId, CommandResult Result) : SimEvent;

    private sealed record Restart(int Node) : SimEvent;

    private sealed class Tally(Value value)
    {
        public Value Value { get; } = value;

        public HashSet<int> Voters { get; } = new();
    }

    private sealed class SimNode(NodeId id)
    {
        public NodeId Id { get; } = id;
        public bool Up { get; set; }

        // What survives a crash: the storage (the journal's checkpoint and log, the learner's snapshot).
        public byte[] Checkpoint { get; set; } = [];
        public List<byte> JournalLog { get; } = new();
        public Snapshot? Snapshot { get; set; }
        public List<LogEntry> Log { get; } = new();
        public ulong AppliedCount { get; set; }

        // What does not.
        public NodeJournal? Journal { get; set; }
        public AcceptorHost? AcceptorHost { get; set; }
        public ProposerHost? ProposerHost { get; set; }
        public LearnerHost? LearnerHost { get; set; }
        public Acceptor? Acceptor => AcceptorHost?.Acceptor;
        public Proposer? Proposer => ProposerHost?.Proposer;
        public Learner? Learner => LearnerHost?.Learner;
        public Dictionary<(string, ulong), int> PendingReplies { get; } = new();
    }

    private sealed class SimClient(string id)
    {
        public string Id { get; } = id;

        /// <summary>The administrator's commands, in request id order (1, 2, ...); null for a client, whose commands are made up as it goes.</summary>
        public List<Command>? Script { get; init; }
        public Command? Current { get; set; }
        public ulong LastRequest { get; set; }
        public long SentAt { get; set; }
        public long NextAt { get; set; }
        public bool Done { get; set; }
    }
}
