using System.Collections.Concurrent;
using System.Security.Cryptography;
using NSec.Cryptography;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Commands;

/// <summary>
/// The sessions one node holds with clients (one table per silo). A session key lives only here, in
/// memory: never on the wire, never in storage, never on another node. Bounded: at most
/// <see cref="Capacity"/> sessions; a session idle for <see cref="IdleTimeout"/> expires; when full,
/// opening one evicts the least recently used. A client whose session is gone gets
/// <see cref="CommandRejectionCodes.UnknownSession"/> and opens a new one. A revoked client's
/// sessions are closed by <see cref="CloseClient"/> (the entry check does it on its next command).
/// </summary>
public sealed class ClientSessionTable : IDisposable
{
    private readonly ConcurrentDictionary<UInt128, Entry> _sessions = new();
    private readonly TimeProvider _time;
    private readonly Lock _openLock = new();

    /// <summary>Creates an empty table.</summary>
    public ClientSessionTable(int capacity, TimeSpan idleTimeout, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        if (idleTimeout <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(idleTimeout), "The idle timeout must be positive.");
        Capacity = capacity;
        IdleTimeout = idleTimeout;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The most sessions held at once.</summary>
    public int Capacity { get; }

    /// <summary>How long an unused session lives.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>How many sessions are held now.</summary>
    public int Count => _sessions.Count;

    /// <summary>
    /// Opens a session for a client whose request was already checked (registered, signature):
    /// a fresh ephemeral key, a random session id, the derived key kept here, and the grant signed by
    /// <paramref name="identity"/>. Null when the client's ephemeral key is unusable.
    /// </summary>
    public SessionGrant? Open(SessionRequest request, NodeIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(identity);
        using var ephemeral = SessionHandshake.NewEphemeral();
        byte[] nodeEphemeral = SessionHandshake.PublicOf(ephemeral);
        byte[] sessionId = RandomNumberGenerator.GetBytes(SessionHandshake.SessionIdLength);
        byte[] transcript = SessionHandshake.GrantTranscript(request.Application, request.ClientId, identity.Name, request.ClientEphemeral, nodeEphemeral, sessionId);
        var key = SessionHandshake.DeriveKey(ephemeral, request.ClientEphemeral, sessionId, transcript);
        if (key is null) return null;

        var entry = new Entry(request.Application, request.ClientId, key, Now());
        lock (_openLock)
        {
            if (_sessions.Count >= Capacity) MakeRoom();
            _sessions[IdOf(sessionId)] = entry;
        }

        return new SessionGrant(identity.Name, sessionId, nodeEphemeral, identity.Sign(transcript));
    }

    /// <summary>The live session with this id (and marks it used), or null when unknown or expired.</summary>
    public Entry? Find(ReadOnlySpan<byte> sessionId)
    {
        if (sessionId.Length != SessionHandshake.SessionIdLength) return null;
        var id = IdOf(sessionId);
        if (!_sessions.TryGetValue(id, out var entry)) return null;
        long now = Now();
        if (now - entry.LastUsed > IdleTimeout.Ticks)
        {
            Remove(id);
            return null;
        }

        entry.LastUsed = now;
        return entry;
    }

    /// <summary>Closes one session (no-op when unknown).</summary>
    public void Close(ReadOnlySpan<byte> sessionId)
    {
        if (sessionId.Length == SessionHandshake.SessionIdLength) Remove(IdOf(sessionId));
    }

    /// <summary>Closes every session of a client (when it is found revoked); returns how many.</summary>
    public int CloseClient(string application, string clientId)
    {
        int closed = 0;
        foreach (var (id, entry) in _sessions)
        {
            if (entry.Application == application && entry.ClientId == clientId && Remove(id)) closed++;
        }

        return closed;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var id in _sessions.Keys) Remove(id);
    }

    private void MakeRoom()
    {
        long now = Now();
        foreach (var (id, entry) in _sessions)
        {
            if (now - entry.LastUsed > IdleTimeout.Ticks) Remove(id);
        }

        while (_sessions.Count >= Capacity)
        {
            var oldest = _sessions.MinBy(p => p.Value.LastUsed);
            Remove(oldest.Key);
        }
    }

    private bool Remove(UInt128 id)
    {
        if (!_sessions.TryRemove(id, out var entry)) return false;
        entry.Key.Dispose();
        return true;
    }

    private long Now() => _time.GetUtcNow().UtcTicks;

    private static UInt128 IdOf(ReadOnlySpan<byte> sessionId) => System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(sessionId);

    /// <summary>One session: whose it is and its key.</summary>
    public sealed class Entry
    {
        private long _lastUsed;

        internal Entry(string application, string clientId, Key key, long now)
        {
            Application = application;
            ClientId = clientId;
            Key = key;
            _lastUsed = now;
        }

        /// <summary>The application the session is for.</summary>
        public string Application { get; }

        /// <summary>The client that opened it.</summary>
        public string ClientId { get; }

        /// <summary>The session key (an HMAC-SHA256 key that cannot be exported).</summary>
        public Key Key { get; }

        internal long LastUsed
        {
            get => Volatile.Read(ref _lastUsed);
            set => Volatile.Write(ref _lastUsed, value);
        }
    }
}
