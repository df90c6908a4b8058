using Microsoft.Extensions.Logging;

namespace PaxosGo.NameServer;

/// <summary>The name server's log messages.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "DNS: answering a query from {Remote} failed; the server goes on with the next")]
    public static partial void QueryFailed(ILogger logger, Exception exception, string remote);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "DNS: node {Node} answers on {Endpoint} (UDP and TCP) for application '{Application}'")]
    public static partial void Listening(ILogger logger, string node, System.Net.IPEndPoint endpoint, string application);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Information, Message = "DNS: zone {Zone} serial {Serial} ({Records} records, file {Hash}) now served")]
    public static partial void ZoneLoaded(ILogger logger, string zone, uint serial, int records, string hash);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "DNS: zone {Zone}: file {Hash} refused ({Reason}); {Serving}")]
    public static partial void ZoneRefused(ILogger logger, string zone, string hash, string reason, string serving);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "DNS: zone {Zone} removed")]
    public static partial void ZoneRemoved(ILogger logger, ARSoft.Tools.Net.DomainName zone);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "DNS: reading the zone map of '{Application}' failed; retrying")]
    public static partial void CatalogFailed(ILogger logger, Exception exception, string application);
}
