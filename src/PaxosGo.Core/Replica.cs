using System.Text;

namespace PaxosGo.Core;

/// <summary>
/// One node's copy of an application's replicated state: the 64-bit <c>state</c> counter, the
/// client-session table that makes execution exactly-once, and the application's
/// <see cref="IStateMachine"/>. Deterministic; snapshots are byte-identical on every replica at
/// the same slot.
/// </summary>
/// <remarks>
/// Sessions follow TigerBeetle's model: each client has at most one request in flight, and the
/// session keeps its last executed request id with that request's result. A retry of that request
/// gets the cached result; an older one is stale and executes nothing. With registration required,
/// only registered clients get a session, so the table holds one entry per client ever registered;
/// revoking a client releases its cached result and keeps only its last request id (a tombstone), so
/// a client registered again can never have an old request execute twice.
/// </remarks>
public sealed class Replica
{
    /// <summary>The client id of administrative commands (<see cref="ClientRegistration"/>).</summary>
    public const string AdminClientId = "$admin";

    /// <summary>The client id of read barriers (<see cref="ApplyOutcome.Barrier"/>): they go through the log but change nothing.</summary>
    public const string BarrierClientId = "$read";

    private const byte SnapshotVersion = 3;
    private readonly IStateMachine _machine;
    private readonly Dictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, byte[]> _clients = new(StringComparer.Ordinal);

    /// <summary>Creates an empty replica around <paramref name="machine"/>.</summary>
    /// <param name="machine">The application's state machine.</param>
    /// <param name="requireRegistration">When true, only clients registered through <see cref="ClientRegistration"/> commands may execute commands.</param>
    /// <param name="administrator">
    /// Whose signature administrative commands must carry; with none, every administrative command is
    /// rejected. Every replica of an application must be given the same one.
    /// </param>
    public Replica(IStateMachine machine, bool requireRegistration = false, Administrator? administrator = null)
    {
        ArgumentNullException.ThrowIfNull(machine);
        _machine = machine;
        RequireRegistration = requireRegistration;
        Administrator = administrator;
    }

    /// <summary>Whose signature administrative commands must carry (null: they are all rejected).</summary>
    public Administrator? Administrator { get; }

    /// <summary>Whether commands of unregistered clients are rejected.</summary>
    public bool RequireRegistration { get; }

    /// <summary>Every registered client and its public key (a live view: copy it to keep it).</summary>
    public IReadOnlyDictionary<string, byte[]> RegisteredClients => _clients;

    /// <summary>The registered public key of a client, if it is registered.</summary>
    public byte[]? RegisteredKey(string clientId) => _clients.TryGetValue(clientId, out var key) ? key : null;

    /// <summary>The specification's <c>state</c>: how many client commands have executed. No-ops and duplicates leave it alone.</summary>
    public ulong State { get; private set; }

    /// <summary>The application state machine.</summary>
    public IStateMachine Machine => _machine;

    /// <summary>How many clients have a session.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Applies one command exactly once.</summary>
    public ApplyResult Apply(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.ClientId == BarrierClientId) return new(ApplyOutcome.Barrier, new CommandResult(State, Array.Empty<byte>()));
        if (_sessions.TryGetValue(command.ClientId, out var session))
        {
            if (command.RequestId == session.LastRequestId && session.LastResult is not null) return new(ApplyOutcome.Duplicate, session.LastResult);
            if (command.RequestId <= session.LastRequestId) return new(ApplyOutcome.Stale, null);
        }

        byte[] output;
        if (command.ClientId == AdminClientId)
        {
            // Administrative: change the registry, never the application's machine. Checked here, on
            // every replica, whatever path put the command into the log: the entry node's checks
            // alone would make every node that can reach a proposer an administrator.
            var check = AdministrativeCommand.Check(Administrator, command);
            if (check.Rejection is { } reason) return new(ApplyOutcome.Rejected, null, reason);
            var registration = check.Registration!;
            if (registration.Register)
            {
                _clients[registration.ClientId] = registration.PublicKey.ToArray();
            }
            else if (_clients.Remove(registration.ClientId) && _sessions.TryGetValue(registration.ClientId, out var revoked))
            {
                // Release the cached result; keep the last request id, so that if the client is
                // registered again its old requests stay stale and never execute a second time.
                _sessions[registration.ClientId] = revoked with { LastResult = null };
            }

            output = Array.Empty<byte>();
        }
        else if (RequireRegistration && !_clients.ContainsKey(command.ClientId))
        {
            // Decided from replicated state, so every replica rejects it alike (a revocation may have
            // overtaken the command after the entry node checked it).
            return new(ApplyOutcome.Rejected, null, RejectionReason.NotRegistered);
        }
        else
        {
            output = _machine.Apply(command);
        }

        State = unchecked(State + 1);
        var result = new CommandResult(State, output);
        _sessions[command.ClientId] = new Session(command.RequestId, result);
        return new(ApplyOutcome.Executed, result);
    }

    /// <summary>The cached result of a client's last executed request, if <paramref name="requestId"/> is that request.</summary>
    public bool TryGetCachedResult(string clientId, ulong requestId, out CommandResult? result)
    {
        if (_sessions.TryGetValue(clientId, out var session) && session.LastRequestId == requestId && session.LastResult is not null)
        {
            result = session.LastResult;
            return true;
        }

        result = null;
        return false;
    }

    /// <summary>
    /// Whether <paramref name="requestId"/> can no longer execute nor be answered: older than the
    /// client's last executed request, or that request itself once its result was released by a revocation.
    /// </summary>
    public bool IsStale(string clientId, ulong requestId) =>
        _sessions.TryGetValue(clientId, out var session)
        && (requestId < session.LastRequestId || (requestId == session.LastRequestId && session.LastResult is null));

    /// <summary>The last executed request id of a client (0 when it has no session).</summary>
    public ulong LastRequestId(string clientId) =>
        _sessions.TryGetValue(clientId, out var session) ? session.LastRequestId : 0;

    /// <summary>Serializes <c>state</c>, the session table (sorted by client) and the machine.</summary>
    public byte[] TakeSnapshot()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(SnapshotVersion);
            w.Write(State);
            w.Write(_sessions.Count);
            foreach (var (client, session) in _sessions.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.Write(client);
                w.Write(session.LastRequestId);
                w.Write(session.LastResult is not null);
                if (session.LastResult is null) continue;
                w.Write(session.LastResult.State);
                w.Write(session.LastResult.Output.Length);
                w.Write(session.LastResult.Output);
            }

            w.Write(_clients.Count);
            foreach (var (client, key) in _clients.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                w.Write(client);
                w.Write(key.Length);
                w.Write(key);
            }

            byte[] machine = _machine.Snapshot();
            w.Write(machine.Length);
            w.Write(machine);
        }

        return stream.ToArray();
    }

    /// <summary>Replaces everything with a snapshot from <see cref="TakeSnapshot"/>.</summary>
    public void Restore(byte[] snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var r = new BinaryReader(new MemoryStream(snapshot, writable: false), Encoding.UTF8);
        byte version = r.ReadByte();
        if (version is not (2 or SnapshotVersion))
        {
            throw new InvalidDataException($"Unknown replica snapshot version {version}.");
        }

        ulong state = r.ReadUInt64();
        int count = r.ReadInt32();
        var sessions = new Dictionary<string, Session>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string client = r.ReadString();
            ulong last = r.ReadUInt64();
            if (version > 2 && !r.ReadBoolean())
            {
                sessions[client] = new Session(last, null); // a revoked client's tombstone
                continue;
            }

            ulong resultState = r.ReadUInt64();
            byte[] output = r.ReadBytes(r.ReadInt32());
            sessions[client] = new Session(last, new CommandResult(resultState, output));
        }

        int clientCount = r.ReadInt32();
        var clients = new Dictionary<string, byte[]>(clientCount, StringComparer.Ordinal);
        for (int i = 0; i < clientCount; i++)
        {
            string client = r.ReadString();
            clients[client] = r.ReadBytes(r.ReadInt32());
        }

        byte[] machine = r.ReadBytes(r.ReadInt32());
        _machine.Restore(machine);
        State = state;
        _sessions.Clear();
        foreach (var (k, v) in sessions) _sessions[k] = v;
        _clients.Clear();
        foreach (var (k, v) in clients) _clients[k] = v;
    }

    /// <summary>A client's last executed request and its result (null once the client was revoked).</summary>
    private sealed record Session(ulong LastRequestId, CommandResult? LastResult);
}
