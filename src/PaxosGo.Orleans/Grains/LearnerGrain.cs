using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;
using PaxosGo.Core;
using Microsoft.Extensions.DependencyInjection;
using PaxosGo.Core.Hosting;
using PaxosGo.Orleans.Applications;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Placement;
using PaxosGo.Orleans.Transport;
using PaxosGo.Orleans.Wire;

namespace PaxosGo.Orleans.Grains;

/// <summary>What a learner grain saves as its snapshot: the replica after every slot below <see cref="NextSlot"/>.</summary>
[GenerateSerializer]
public sealed class LearnerSnapshotRecord
{
    /// <summary>Every slot below is in the snapshot.</summary>
    [Id(0)]
    public ulong NextSlot { get; set; }

    /// <summary>The replica's snapshot (<see cref="Replica.TakeSnapshot"/>).</summary>
    [Id(1)]
    public byte[] Data { get; set; } = Array.Empty<byte>();
}

/// <summary>
/// The learner of one application on one node: the core's <see cref="Learner"/> and the node's replica.
/// It applies chosen values from memory and answers clients at once (a chosen value is already in a
/// majority of acceptors' journals); it writes only a snapshot, every snapshot interval and when it
/// stops, and reports each saved snapshot to the leader, which lets acceptors drop what a majority of
/// snapshots cover. It is also the node's <see cref="IClientGatewayGrain"/> for the application: a
/// session command is checked (<see cref="SessionEntry"/>) and admitted against this replica in one
/// grain call.
/// </summary>
[NodePinnedPlacement]
[GrainDirectory(PinnedGrainDirectory.Name)]
[Immovable(ImmovableKind.Any)]
[Reentrant]
[KeepAlive]
public sealed class LearnerGrain(
    PaxosGoNode node,
    ClientRegistry registry,
    ClientSessionTable sessions,
    LocalReplicas replicas,
    IServiceProvider services,
    ILogger<LearnerGrain> logger,
    [PersistentState("snapshot", PaxosGoOptions.StorageProviderName)] IPersistentState<LearnerSnapshotRecord> snapshotStorage)
    : ProtocolGrain(node, logger), ILearnerGrain, IClientGatewayGrain, IPaxosGoGrain
{
    private SessionEntry? _entry;
    private readonly Dictionary<(string, ulong), List<TaskCompletionSource<CommandReply>>> _waiters = new();
    private readonly Queue<Deadline> _deadlines = new(); // in the order the waits began: every wait has the same timeout
    private NodeId? _leader; // the node whose Chosen or Heartbeat this learner last heard
    private LearnerHost? _host;
    private Task<LearnerStatusReport>? _barrier; // the read barrier in flight
    private TaskCompletionSource<LearnerStatusReport>? _nextBarrier; // reads that arrived while it was in flight
    private List<(ClientCommand Command, Task<CommandReply> Waiting)> _toPropose = new(); // admitted, not yet handed to the proposer
    private bool _proposeScheduled;
    private object _replicaGate = new(); // held while the replica changes: LocalReplicas' readers take it too
    private ICommandValidator? _validator;

    /// <inheritdoc />
    protected override Role Role => Role.Learner;

    /// <inheritdoc />
    protected override EngineHost? Host => _host;

    private Learner? Engine => _host?.Learner;

    /// <inheritdoc />
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        await base.OnActivateAsync(cancellationToken);
        Snapshot? snapshot = snapshotStorage.RecordExists && snapshotStorage.State.Data.Length > 0
            ? new Snapshot(snapshotStorage.State.NextSlot, snapshotStorage.State.Data)
            : null;
        var options = Node.Options.Learner with { RequireRegistration = true, Administrator = Node.AdministratorOf(Application) };
        var machine = services.GetRequiredKeyedService<IStateMachine>(Application);
        _host = new LearnerHost(Application, new Learner(Node.Self, Node.NodeIds, machine, snapshot, Array.Empty<LogEntry>(), options));
        _validator = services.GetKeyedService<ICommandValidator>(Application);
        _replicaGate = replicas.Attach(Application, _host.Learner.Replica, _host.Learner.NextSlot);
        registry.Replace(Application, _host.Learner.Replica.RegisteredClients);
        _entry = new SessionEntry(Node, sessions, new CommandGate(Node, GrainFactory, Application), AdmitAsync);
        StartTicking();
        NotifyProposer();
    }

    /// <inheritdoc />
    public Task<CommandReply> Submit(SessionCommand command) => _entry!.SubmitAsync(command);

    /// <inheritdoc />
    public Task<SessionGrant> OpenSession(SessionRequest request) => _entry!.OpenAsync(request);

    /// <inheritdoc />
    public Task CloseSession(byte[] sessionId, byte[] mac)
    {
        _entry!.Close(sessionId, mac);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<CommandReply> Admit(ClientCommand command, byte[] attestation)
    {
        Guard(() => Node.CheckAdmit(Application, command, attestation));
        return AdmitAsync(command);
    }

    // A command an entry point verified: checked against this replica (registered, not stale),
    // proposed unless its result is cached, and answered once applied.
    private async Task<CommandReply> AdmitAsync(ClientCommand command)
    {
        var replica = Engine!.Replica;
        string clientId = command.ClientId;
        if (clientId != Replica.AdminClientId && replica.RegisteredKey(clientId) is null)
        {
            // Read your registration: a registration may have committed that this replica has not
            // applied yet. A read barrier (shared with concurrent reads) brings it up to date.
            try
            {
                await ReadLinearizable();
            }
            catch (TimeoutException)
            {
                // No leader within the timeout: answer from what this replica has.
            }

            if (replica.RegisteredKey(clientId) is null)
            {
                throw await new CommandGate(Node, GrainFactory, Application).UnregisteredAsync(clientId);
            }
        }

        CommandGate.CheckFresh(command.RequestId, replica.LastRequestId(clientId));
        // Checked once per request on this node: not when its result is cached, nor again while an
        // earlier attempt of it waits here (it may already be proposed).
        if (_validator is not null && clientId != Replica.AdminClientId && !_waiters.ContainsKey((clientId, command.RequestId))
            && !replica.TryGetCachedResult(clientId, command.RequestId, out _))
        {
            await ValidateAsync(command);
        }

        var result = Wait(clientId, command.RequestId);
        if (!result.IsCompleted) Propose(command, result); // an answer already cached needs no proposal
        return await result;
    }

    /// <summary>The application's own check of the payload (<see cref="ICommandValidator"/>); a refusal proposes nothing.</summary>
    private async Task ValidateAsync(ClientCommand command)
    {
        string? refusal;
        try
        {
            refusal = await _validator!.ValidateAsync(command.Payload, CancellationToken.None);
        }
        catch (Exception e)
        {
            // Not a verdict (storage unreachable, say): nothing is proposed, and the client retries
            // the same request, which a rejection would stop.
            Log.ValidatorFailed(Logger, e, Application, command.ClientId, command.RequestId);
            throw new InvalidOperationException(
                $"Application '{Application}' could not check request {command.RequestId} of client {command.ClientId} now ({ErrorText.Describe(e)}); nothing was proposed: retry it.");
        }

        if (refusal is not null)
        {
            throw CommandGate.Reject(Commands.CommandRejectionCodes.Invalid, $"Application '{Application}' refused the command: {refusal}");
        }
    }

    /// <summary>
    /// Queues an admitted command for this node's proposer. The commands admitted while this
    /// activation works through its queued calls go together, in one attested call (a grain call and
    /// two HMACs per batch, not per command).
    /// </summary>
    private void Propose(ClientCommand command, Task<CommandReply> waiting)
    {
        _toPropose.Add((command, waiting));
        if (_proposeScheduled) return;
        _proposeScheduled = true;
        _ = ProposeQueuedAsync();
    }

    private async Task ProposeQueuedAsync()
    {
        await Task.Yield(); // after the calls already queued on this activation, which may add theirs
        _proposeScheduled = false;
        var queued = _toPropose;
        _toPropose = new();
        for (int at = 0; at < queued.Count; at += InternalCalls.MaxSubmitBatch)
        {
            var part = queued.GetRange(at, Math.Min(InternalCalls.MaxSubmitBatch, queued.Count - at));
            try
            {
                await Node.SubmitToProposer(GrainFactory, Application, part.Select(p => p.Command).ToArray());
            }
            catch (Exception e)
            {
                // Not proposed (the proposer is full, or deactivating): each of these waits ends with
                // the reason, and its client retries with the same request id.
                foreach (var (command, waiting) in part) EndWait((command.ClientId, command.RequestId), waiting, e);
            }
        }
    }

    /// <summary>Ends one wait (not others for the same request, which may be proposed) with <paramref name="error"/>.</summary>
    private void EndWait((string, ulong) key, Task<CommandReply> waiting, Exception error)
    {
        if (!_waiters.TryGetValue(key, out var list)) return;
        var waiter = list.Find(w => w.Task == waiting);
        if (waiter is null) return;
        list.Remove(waiter);
        if (list.Count == 0) _waiters.Remove(key);
        waiter.TrySetException(error);
    }

    private Task<CommandReply> Wait(string clientId, ulong requestId)
    {
        if (Engine!.Replica.TryGetCachedResult(clientId, requestId, out var cached))
        {
            return Task.FromResult(Reply(cached!));
        }

        if (Engine.Replica.IsStale(clientId, requestId))
        {
            throw StaleRequest(clientId, requestId);
        }

        var waiter = new TaskCompletionSource<CommandReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        var key = (clientId, requestId);
        if (!_waiters.TryGetValue(key, out var list))
        {
            list = new List<TaskCompletionSource<CommandReply>>();
            _waiters[key] = list;
        }

        list.Add(waiter);
        _deadlines.Enqueue(new Deadline(Stopwatch.GetTimestamp() + (long)(Node.Options.ResultTimeout.TotalSeconds * Stopwatch.Frequency), key, waiter));
        return waiter.Task;
    }

    /// <inheritdoc />
    /// <remarks>The learner needs a tick when the oldest client wait times out.</remarks>
    protected override long LocalDeadline =>
        _deadlines.TryPeek(out var d)
            ? Now + Math.Max(0, (long)(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), d.At) / Node.Options.Tick) + 1)
            : long.MaxValue;

    /// <summary>
    /// Ends the waits whose timeout passed (on every tick), with <see cref="TimeoutException"/>: one
    /// queue in arrival order instead of a timer per command. Answered waits leave the front as it moves.
    /// </summary>
    private void ExpireWaits()
    {
        long now = Stopwatch.GetTimestamp();
        while (_deadlines.TryPeek(out var d) && (d.Waiter.Task.IsCompleted || d.At <= now))
        {
            _deadlines.Dequeue();
            if (d.Waiter.Task.IsCompleted) continue;
            if (_waiters.TryGetValue(d.Key, out var list))
            {
                list.Remove(d.Waiter);
                if (list.Count == 0) _waiters.Remove(d.Key);
            }

            d.Waiter.TrySetException(new TimeoutException(
                $"Request {d.Key.Item2} of client '{d.Key.Item1}' was not applied on node '{Node.Identity.Name}' within {Node.Options.ResultTimeout.TotalSeconds:F0} s; retry it with the same request id."));
        }
    }

    /// <inheritdoc />
    public Task<LearnerStatusReport> ReadLinearizable()
    {
        if (_barrier is null || _barrier.IsCompleted)
        {
            _barrier = RunBarrierAsync();
            return _barrier;
        }

        // A barrier is in flight, but it may have been proposed before this read started: wait for
        // the next one, which every read arriving meanwhile shares (at most one in flight, one queued).
        _nextBarrier ??= new TaskCompletionSource<LearnerStatusReport>(TaskCreationOptions.RunContinuationsAsynchronously);
        return _nextBarrier.Task;
    }

    private async Task<LearnerStatusReport> RunBarrierAsync()
    {
        try
        {
            ulong id = (ulong)Random.Shared.NextInt64(1, long.MaxValue);
            var barrier = Wait(Replica.BarrierClientId, id);
            await Node.SubmitToProposer(GrainFactory, Application, [new ClientCommand(Replica.BarrierClientId, id, Array.Empty<byte>())]);
            await barrier;
            // Applied through the barrier's slot: the replica now reflects every command acknowledged
            // before the read started (and maybe some after, which a linearizable read allows).
            return await GetStatus();
        }
        finally
        {
            // The reads that queued behind this barrier start the next one now.
            if (_nextBarrier is { } waiting)
            {
                _nextBarrier = null;
                _barrier = RunBarrierAsync();
                _ = ForwardAsync(_barrier, waiting);
            }
        }
    }

    private static async Task ForwardAsync(Task<LearnerStatusReport> from, TaskCompletionSource<LearnerStatusReport> to)
    {
        try
        {
            to.TrySetResult(await from);
        }
        catch (Exception e)
        {
            to.TrySetException(e);
        }
    }

    /// <inheritdoc />
    public Task<ClientInfo> LookupClient(string clientId, byte[] attestation)
    {
        Guard(() => Node.CheckLookupClient(Application, clientId, attestation));
        var replica = Engine!.Replica;
        return Task.FromResult(new ClientInfo(replica.RegisteredKey(clientId), replica.LastRequestId(clientId)));
    }

    /// <inheritdoc />
    public Task<LearnerStatusReport> GetStatus()
    {
        var l = Engine!;
        string digest = Convert.ToHexStringLower(SHA256.HashData(l.Replica.TakeSnapshot()));
        return Task.FromResult(new LearnerStatusReport(Node.Identity.Name, RuntimeIdentity, l.NextSlot, l.Replica.State, digest));
    }

    /// <inheritdoc />
    /// <remarks>Under the replica's lock, so <see cref="LocalReplicas"/> readers see one version; published after.</remarks>
    protected override Ready StepEngine(EngineHost host, IReadOnlyList<object> inputs)
    {
        lock (_replicaGate)
        {
            var ready = host.Step(inputs);
            replicas.Published(Application, Engine!.NextSlot);
            return ready;
        }
    }

    /// <inheritdoc />
    protected override void BeforePersist(IReadOnlyList<object> inputs, Ready ready)
    {
        foreach (var input in inputs)
        {
            switch (input)
            {
                case Tick: ExpireWaits(); break;
                case Chosen or Heartbeat: _leader = ((Message)input).From; break; // only the leader sends these: the clients' leader hint
            }
        }

        if (ready.RegistryChanged) registry.Replace(Application, Engine!.Replica.RegisteredClients);
        Metrics.SlotsApplied.Add(ready.Entries.Count);

        // Answer clients at once: every applied value is chosen, so it is already durable in a
        // majority of acceptors' journals, which keep it until a majority of learners report (after
        // saving) a snapshot that covers it. A crash loses nothing acknowledged: a restarted learner
        // learns again from its peers or, if every learner lost it, from the acceptors (the proposers,
        // told of their acceptors' votes by NoteVoted, elect a leader whose recovery re-proposes it).
        Answer(ready.Applied);
    }

    /// <inheritdoc />
    protected override async Task PersistAsync(Ready ready)
    {
        // Saved before the messages leave: a LearnerStatus names the saved snapshot.
        var snapshot = ready.Snapshot!;
        long start = Stopwatch.GetTimestamp();
        snapshotStorage.State.NextSlot = snapshot.NextSlot;
        snapshotStorage.State.Data = snapshot.Data;
        await snapshotStorage.WriteStateAsync();
        Metrics.RecordPersist(start, "learner");
        Metrics.StorageRequests.Add(1, new KeyValuePair<string, object?>("kind", "snapshot"));
    }

    /// <inheritdoc />
    protected override void AfterAdvance(IReadOnlyList<object> inputs, Ready ready)
    {
        foreach (var input in inputs)
        {
            if (input is SnapshotRequest request) request.Done.TrySetResult();
        }
    }

    /// <inheritdoc />
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Stopping: save what has been applied, so a restart begins from here rather than from the
        // last periodic snapshot. Best effort: what is not saved is learned again.
        if (Engine is not null) replicas.Detach(Application, Engine.Replica);
        if (Failed || Engine is null)
        {
            await base.OnDeactivateAsync(reason, cancellationToken);
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(SnapshotNow.Instance);
        Enqueue(new SnapshotRequest(done)); // answered once the step with the snapshot is carried out
        try
        {
            await done.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Deactivating anyway.
        }

        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    private void Answer(IReadOnlyList<AppliedCommand> applied)
    {
        foreach (var a in applied)
        {
            if (a.Outcome == ApplyOutcome.Executed) Metrics.CommandsExecuted.Add(1);
            else if (a.Outcome == ApplyOutcome.Duplicate) Metrics.CommandsDeduplicated.Add(1);
            if (a.Outcome == ApplyOutcome.Rejected && _waiters.Remove(a.Command.Key, out var refused))
            {
                // The replicated state refused it (revoked after the entry node checked, or an
                // administrative command without the administrator's signature): say so.
                var error = Rejection(a);
                foreach (var w in refused) w.TrySetException(error);
                continue;
            }

            if (a.Outcome == ApplyOutcome.Stale && _waiters.Remove(a.Command.Key, out var late))
            {
                // A newer request of the client executed first: this one never will.
                var error = StaleRequest(a.Command.ClientId, a.Command.RequestId);
                foreach (var w in late) w.TrySetException(error);
                continue;
            }

            if (a.Result is null || !_waiters.Remove(a.Command.Key, out var waiting)) continue;
            var reply = Reply(a.Result);
            foreach (var w in waiting) w.TrySetResult(reply);
        }
    }

    private Commands.CommandRejectedException Rejection(AppliedCommand a) => a.Rejection switch
    {
        RejectionReason.BadSignature => new(Commands.CommandRejectionCodes.BadSignature, $"Administrative request {a.Command.RequestId} does not carry the administrator's signature; every replica refused it (slot {a.Slot}), nothing changed."),
        RejectionReason.Malformed => new(Commands.CommandRejectionCodes.Malformed, $"Administrative request {a.Command.RequestId} is malformed; every replica refused it (slot {a.Slot}), nothing changed."),
        _ => new(Commands.CommandRejectionCodes.NotRegistered, $"Client {a.Command.ClientId} is not registered for '{Application}' (decided in slot {a.Slot})."),
    };

    private static Commands.CommandRejectedException StaleRequest(string clientId, ulong requestId) =>
        new(Commands.CommandRejectionCodes.StaleRequest, $"Request {requestId} of client {clientId} is older than its last executed request; it will never run.");

    /// <summary>Follows a <see cref="SnapshotNow"/> in the inbox (the grain is stopping); <see cref="Done"/> completes once that step was carried out.</summary>
    private sealed record SnapshotRequest(TaskCompletionSource Done);

    /// <summary>When a wait for a command's result times out.</summary>
    private readonly record struct Deadline(long At, (string, ulong) Key, TaskCompletionSource<CommandReply> Waiter);

    private CommandReply Reply(CommandResult result) =>
        new(result.State, result.Output, Node.Identity.Name, _leader is { } leader ? Node.Identity.Mesh[leader.Value].Name : null);

    private void NotifyProposer() => Notify(Node.NoteLearned(GrainFactory, Application, Engine!.NextSlot), typeof(Learned));
}
