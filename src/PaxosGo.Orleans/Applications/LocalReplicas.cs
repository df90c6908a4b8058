using System.Collections.Concurrent;
using PaxosGo.Core;

namespace PaxosGo.Orleans.Applications;

/// <summary>
/// The read-only way into this node's replicas, for front ends that answer from local state without
/// going through Paxos (one per silo, from dependency injection). A read runs on the application's
/// state machine between two applied commands, so it sees one version; it must not change the
/// machine, and should be short: the node's learner waits for it before applying the next command.
/// What it returns is as fresh as this replica, which may be behind the cluster (for a read that
/// reflects every acknowledged command, use <c>GET /apps/{app}/state?consistency=linearizable</c>).
/// </summary>
public sealed class LocalReplicas
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>
    /// Runs <paramref name="read"/> on the state machine of <paramref name="application"/>'s replica on
    /// this node, with the version it reads.
    /// </summary>
    /// <exception cref="ReplicaUnavailableException">The replica is not running on this node.</exception>
    /// <exception cref="InvalidOperationException">The application's state machine is not a <typeparamref name="TMachine"/>.</exception>
    public TResult Read<TMachine, TResult>(string application, Func<TMachine, ReplicaVersion, TResult> read)
        where TMachine : class, IStateMachine
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(read);
        var entry = EntryOf(application);
        lock (entry.Gate)
        {
            var replica = entry.Replica ?? throw Unavailable(application);
            if (replica.Machine is not TMachine machine)
            {
                throw new InvalidOperationException($"Application '{application}' runs a {replica.Machine.GetType().Name}, not a {typeof(TMachine).Name}.");
            }

            return read(machine, entry.Version);
        }
    }

    /// <summary>The version of <paramref name="application"/>'s replica on this node, or null when it is not running here.</summary>
    public ReplicaVersion? VersionOf(string application)
    {
        ArgumentNullException.ThrowIfNull(application);
        if (!_entries.TryGetValue(application, out var entry)) return null;
        lock (entry.Gate)
        {
            return entry.Replica is null ? null : entry.Version;
        }
    }

    /// <summary>
    /// Completes once <paramref name="application"/>'s replica on this node has a <c>state</c> other
    /// than <paramref name="knownState"/> (at once if it has already).
    /// </summary>
    public Task WaitForChangeAsync(string application, ulong knownState, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(application);
        var entry = EntryOf(application);
        lock (entry.Gate)
        {
            if (entry.Replica is not null && entry.Version.State != knownState) return Task.CompletedTask;
            entry.Changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return entry.Changed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Makes <paramref name="replica"/> the one reads of <paramref name="application"/> see. Returns
    /// the lock its owner must hold while it changes the replica (<see cref="Published"/> after).
    /// </summary>
    internal object Attach(string application, Replica replica, ulong nextSlot)
    {
        var entry = EntryOf(application);
        lock (entry.Gate)
        {
            entry.Replica = replica;
            SetVersion(entry, new ReplicaVersion(replica.State, nextSlot));
            return entry.Gate;
        }
    }

    /// <summary>Records the replica's version after a change; the caller holds the lock <see cref="Attach"/> returned.</summary>
    internal void Published(string application, ulong nextSlot)
    {
        var entry = EntryOf(application);
        if (entry.Replica is { } replica) SetVersion(entry, new ReplicaVersion(replica.State, nextSlot));
    }

    /// <summary>Stops reads of <paramref name="replica"/> (its grain is going away).</summary>
    internal void Detach(string application, Replica replica)
    {
        var entry = EntryOf(application);
        lock (entry.Gate)
        {
            if (ReferenceEquals(entry.Replica, replica)) entry.Replica = null;
        }
    }

    private static void SetVersion(Entry entry, ReplicaVersion version)
    {
        bool changed = version.State != entry.Version.State;
        entry.Version = version;
        if (changed && entry.Changed is { } waiting)
        {
            entry.Changed = null;
            waiting.TrySetResult();
        }
    }

    private Entry EntryOf(string application) => _entries.GetOrAdd(application, static _ => new Entry());

    private static ReplicaUnavailableException Unavailable(string application) =>
        new($"The replica of application '{application}' is not running on this node (not configured here, or still starting).");

    private sealed class Entry
    {
        public object Gate { get; } = new();

        public Replica? Replica { get; set; }

        public ReplicaVersion Version { get; set; }

        public TaskCompletionSource? Changed { get; set; }
    }
}
