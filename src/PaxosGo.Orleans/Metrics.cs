using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace PaxosGo.Orleans;

/// <summary>PaxosGo's instruments, on the meter <c>PaxosGo</c> (listen with dotnet-counters or OpenTelemetry).</summary>
internal static class Metrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "PaxosGo";

    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>Protocol envelopes and internal calls refused (tag <c>code</c>: bad-signature, unknown-sender, config-mismatch, misdirected, malformed, unauthenticated).</summary>
    public static readonly Counter<long> MessagesRejected =
        Meter.CreateCounter<long>("paxosgo.messages.rejected", description: "Protocol envelopes refused by verification");

    /// <summary>Grain calls refused by the client-surface filter (tag <c>reason</c>).</summary>
    public static readonly Counter<long> CallsRefused =
        Meter.CreateCounter<long>("paxosgo.calls.refused", description: "Grain calls refused by the client-surface filter (by reason)");

    /// <summary>TLS connections refused because the peer's certificate is not bound to a mesh node or a registered client (by direction).</summary>
    public static readonly Counter<long> ConnectionsRefused =
        Meter.CreateCounter<long>("paxosgo.connections.refused", description: "TLS connections whose certificate binding was refused (by direction)");

    /// <summary>Client commands discarded by the entry node (tag <c>code</c>, see CommandRejectionCodes).</summary>
    public static readonly Counter<long> CommandsRejected =
        Meter.CreateCounter<long>("paxosgo.commands.rejected", description: "Client commands discarded by the entry node before proposal");

    /// <summary>Client sessions opened on this node.</summary>
    public static readonly Counter<long> SessionsOpened =
        Meter.CreateCounter<long>("paxosgo.sessions.opened", description: "Client sessions opened by this node");

    /// <summary>Client commands executed by a replica (not duplicates).</summary>
    public static readonly Counter<long> CommandsExecuted =
        Meter.CreateCounter<long>("paxosgo.commands.executed", description: "Client commands executed by this node's replicas");

    /// <summary>Commands that arrived again and were answered from the session table.</summary>
    public static readonly Counter<long> CommandsDeduplicated =
        Meter.CreateCounter<long>("paxosgo.commands.deduplicated", description: "Duplicate client commands answered without executing");

    /// <summary>Slots applied by this node's learners.</summary>
    public static readonly Counter<long> SlotsApplied =
        Meter.CreateCounter<long>("paxosgo.slots.applied", description: "Slots applied by this node's learners");

    /// <summary>Requests this node sent to storage (tag <c>kind</c>: append, checkpoint, snapshot).</summary>
    public static readonly Counter<long> StorageRequests =
        Meter.CreateCounter<long>("paxosgo.storage.requests", description: "Storage requests (appends, checkpoints, snapshots)");

    /// <summary>Ed25519 operations on protocol envelopes (tag <c>op</c>: sign, verify).</summary>
    public static readonly Counter<long> EnvelopeSignatures =
        Meter.CreateCounter<long>("paxosgo.envelope.signatures", description: "Protocol messages sealed and checked: op sign and verify (Ed25519 over an envelope or a whole link batch, between nodes), local-seal and local-check (HMAC, within a node)");

    /// <summary>Ed25519 checks of clients' signatures (tag <c>kind</c>: command, a signed command; handshake, a session's opening or its grant).</summary>
    public static readonly Counter<long> CommandSignatures =
        Meter.CreateCounter<long>("paxosgo.command.signatures", description: "Client signatures checked (Ed25519): kind command (a signed command) or handshake (a session's opening, or the client's check of its grant)");

    /// <summary>Batches on the links between nodes (tag <c>direction</c>: sent, received): one signature each.</summary>
    public static readonly Counter<long> LinkBatches =
        Meter.CreateCounter<long>("paxosgo.link.batches", description: "Link batches between nodes (direction sent or received), each under one signature");

    /// <summary>Protocol messages carried by link batches (direction sent or received), or dropped unsent for a node with no Active silo.</summary>
    public static readonly Counter<long> LinkMessages =
        Meter.CreateCounter<long>("paxosgo.link.messages", description: "Protocol messages carried by link batches between nodes (direction sent or received), or dropped for a node with no active silo");

    /// <summary>Activations of protocol grains (tags <c>role</c>, then <c>node</c>): beyond one per grain, each is a reload from storage.</summary>
    public static readonly Counter<long> GrainsActivated =
        Meter.CreateCounter<long>("paxosgo.grains.activated", description: "Acceptor, proposer and learner activations (a reload from storage after the first)");

    /// <summary>Torn journal tails dropped at recovery.</summary>
    public static readonly Counter<long> TornTails =
        Meter.CreateCounter<long>("paxosgo.journal.torn_tails", description: "Torn last appends dropped when a node's journal was read");

    /// <summary>Time to persist one batch of an engine's state (tag <c>role</c>).</summary>
    public static readonly Histogram<double> PersistDuration =
        Meter.CreateHistogram<double>("paxosgo.persist.duration", unit: "ms", description: "Time to persist a batch before sending its messages");

    /// <summary>Records one persist that started at <paramref name="startTimestamp"/> (a <see cref="Stopwatch"/> timestamp).</summary>
    public static void RecordPersist(long startTimestamp, string role) =>
        PersistDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds, new KeyValuePair<string, object?>("role", role));
}
