using Microsoft.Extensions.Logging;

namespace PaxosGo.Orleans;

/// <summary>PaxosGo's log messages, with stable event ids (1000-1999).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Debug, Message = "{Application}: {MessageType} to the {Role} of node {Node} was not delivered")]
    public static partial void NotDelivered(ILogger logger, Exception? exception, string application, Type messageType, PaxosGo.Core.Role role, int node);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "A link batch of {Messages} messages to node {Node} was not sent")]
    public static partial void LinkNotSent(ILogger logger, Exception? exception, string node, int messages);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Debug, Message = "A link batch from node {Node} was refused ({Code}): {Reason}")]
    public static partial void LinkBatchRefused(ILogger logger, string node, string code, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "{Application}: the {Role} of node {Node} failed and deactivates; it reloads from storage on its next activation")]
    public static partial void EngineFailed(ILogger logger, Exception exception, string application, string role, string node);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Information, Message = "PaxosGo: node {Node} runs application {Application}")]
    public static partial void ApplicationStarted(ILogger logger, string node, string application);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "PaxosGo: still activating application {Application} on node {Node}")]
    public static partial void StillActivating(ILogger logger, Exception exception, string application, string node);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "PaxosGo: refused a TLS {Direction} connection: {Reason}")]
    public static partial void ConnectionRefused(ILogger logger, string direction, string reason);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "PaxosGo journal {Prefix}: an append failed; the journal is read again from storage before the next one")]
    public static partial void AppendFailed(ILogger logger, Exception exception, string prefix);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Information, Message = "PaxosGo journal {Prefix}: recovered through batch {Sequence} ({Bytes} log bytes after checkpoint {Checkpoint})")]
    public static partial void Recovered(ILogger logger, string prefix, ulong sequence, long bytes, string checkpoint);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "PaxosGo journal {Prefix}: dropped a torn tail of {Bytes} bytes (a crash in the middle of an append) and started the log over")]
    public static partial void TornTail(ILogger logger, string prefix, long bytes);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Debug, Message = "PaxosGo journal {Prefix}: checkpoint through batch {Sequence} ({Bytes} bytes); the log starts over")]
    public static partial void Checkpointed(ILogger logger, string prefix, ulong sequence, int bytes);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "PaxosGo journal {Prefix}: could not delete all that checkpoint {Checkpoint} covers; the next checkpoint retries")]
    public static partial void CheckpointCleanupFailed(ILogger logger, Exception exception, string prefix, string checkpoint);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Warning, Message = "PaxosGo application {Application}: its command validator failed on request {RequestId} of client {ClientId}; nothing was proposed, the client may retry")]
    public static partial void ValidatorFailed(ILogger logger, Exception exception, string application, string clientId, ulong requestId);
}
