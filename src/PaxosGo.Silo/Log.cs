using Microsoft.Extensions.Logging;

namespace PaxosGo.Silo;

/// <summary>The silo host's log messages, with stable event ids (2000-2099).</summary>
internal static partial class Log
{
    /// <summary>The logging category of the silo host (under <c>PaxosGo</c>, so Information by default).</summary>
    public const string Category = "PaxosGo.Silo";

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information,
        Message = "node {Node} (mesh index {Index} of {Count}) starting: silo {Address}:{SiloPort}, gateway port {GatewayPort}{Listen}, cluster '{ClusterId}', service '{ServiceId}', applications {Applications}, administrator key {AdminKey}")]
    public static partial void Starting(
        ILogger logger, string node, int index, int count, System.Net.IPAddress address, int siloPort, int gatewayPort, string listen, string clusterId, string serviceId, IEnumerable<string> applications, string adminKey);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information,
        Message = "node {Node} protocol tuning: tick {TickMs} ms, timer {TimerMs} ms, window {Window}, max batch {MaxBatch}, max unlearned slots {MaxUnlearned}, thrifty Accepts {Thrifty}, snapshot every {SnapshotInterval} slots, journal in {Journal}, checkpoint every {CheckpointEvery} appends")]
    public static partial void Tuning(
        ILogger logger, string node, double tickMs, double timerMs, int window, int maxBatch, ulong maxUnlearned, bool thrifty, int snapshotInterval, PaxosGo.Orleans.Storage.JournalStorage journal, int checkpointEvery);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "node {Node} is up")]
    public static partial void Started(ILogger logger, string node);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "node {Node} stopped")]
    public static partial void Stopped(ILogger logger, string node);
}
