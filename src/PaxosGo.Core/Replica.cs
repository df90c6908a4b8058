using System.Text;

namespace PaxosGo.Core;

/// <summary>What happened to a command when its slot was applied.</summary>
public enum ApplyOutcome
{
    /// <summary>First time seen: executed, <c>state</c> incremented.</summary>
    Executed,

    /// <summary>The client's last executed request again: not executed, the cached result returned.</summary>
    Duplicate,

    /// <summary>Older than the client's last executed request: not executed, no result to return.</summary>
    Stale,

    /// <summary>
    /// A read barrier (client <see cref="Replica.BarrierClientId"/>): nothing executes, <c>state</c>
    /// is unchanged, and the result carries <c>state</c> as of this point in the log. A linearizable
    /// read waits for its barrier to be applied.
    /// </summary>
    Barrier,

    /// <summary>
    /// Refused by the replicated state itself: the client is not registered (when registration is
    /// required) or an administrative command is malformed. Not executed; <c>state</c> unchanged.
    /// </summary>
    Rejected,
}

/// <summary>
/// An administrative command that registers a client's public key for the application, or revokes it.
/// It travels as a command of the client <see cref="Replica.AdminClientId"/> and is replicated
/// through Paxos like any other; the entry node has checked the administrator's signature.
/// </summary>
public sealed record ClientRegistration(bool Register, string ClientId, byte[] PublicKey)
{
    /// <summary>The payload of the administrative command.</summary>
    public byte[] Encode()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Register ? (byte)1 : (byte)2);
            w.Write(ClientId);
            w.Write(PublicKey.Length);
            w.Write(PublicKey);
        }

        return stream.ToArray();
    }

    /// <summary>Decodes an administrative payload; null when it is not one.</summary>
    public static ClientRegistration? TryDecode(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        try
        {
            using var r = new BinaryReader(new MemoryStream(payload, writable: false), new UTF8Encoding(false, true));
            byte op = r.ReadByte();
            if (op is not (1 or 2)) return null;
            string client = r.ReadString();
            int length = r.ReadInt32();
            if (length is < 0 or > 64) return null;
            byte[] key = r.ReadBytes(length);
            if (key.Length != length || r.BaseStream.Position != payload.Length || client.Length == 0) return null;
            return new ClientRegistration(op == 1, client, key);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or DecoderFallbackException or FormatException)
        {
            return null;
        }
    }
}

/// <summary>The answer a client gets for a command: <c>state</c> right after it executed, and the machine's output.</summary>
public sealed record CommandResult(ulong State, byte[] Output);

/// <summary>One command of an applied slot and what became of it.</summary>
public readonly record struct AppliedCommand(ulong Slot, Command Command, ApplyOutcome Outcome, CommandResult? Result);

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
    public Replica(IStateMachine machine, bool requireRegistration = false)
    {
        ArgumentNullException.ThrowIfNull(machine);
        _machine = machine;
        RequireRegistration = requireRegistration;
    }

    /// <summary>Whether commands of unregistered clients are rejected.</summary>
    public bool RequireRegistration { get; }

    /// <summary>The registered public key of a client, if it is registered.</summary>
    public byte[]? RegisteredKey(string clientId) => _clients.TryGetValue(clientId, out var key) ? key : null;

    /// <summary>The specification's <c>state</c>: how many client commands have executed. No-ops and duplicates leave it alone.</summary>
    public ulong State { get; private set; }

    /// <summary>The application state machine.</summary>
    public IStateMachine Machine => _machine;

    /// <summary>How many clients have a session.</summary>
    public int SessionCount => _sessions.Count;

    /// <summary>Applies one command exactly once.</summary>
    public (ApplyOutcome Outcome, CommandResult? Result) Apply(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.ClientId == BarrierClientId) return (ApplyOutcome.Barrier, new CommandResult(State, Array.Empty<byte>()));
        if (_sessions.TryGetValue(command.ClientId, out var session))
        {
            if (command.RequestId == session.LastRequestId && session.LastResult is not null) return (ApplyOutcome.Duplicate, session.LastResult);
            if (command.RequestId <= session.LastRequestId) return (ApplyOutcome.Stale, null);
        }

        byte[] output;
        if (command.ClientId == AdminClientId)
        {
            // Administrative: change the registry, never the application's machine.
            if (ClientRegistration.TryDecode(command.Payload) is not { } registration) return (ApplyOutcome.Rejected, null);
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
            return (ApplyOutcome.Rejected, null);
        }
        else
        {
            output = _machine.Apply(command);
        }

        State = unchecked(State + 1);
        var result = new CommandResult(State, output);
        _sessions[command.ClientId] = new Session(command.RequestId, result);
        return (ApplyOutcome.Executed, result);
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
