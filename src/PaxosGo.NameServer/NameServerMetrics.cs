using System.Diagnostics.Metrics;

namespace PaxosGo.NameServer;

/// <summary>The name server's counters, in PaxosGo's meter (so a node's <c>GET /metrics</c> shows them).</summary>
internal static class NameServerMetrics
{
    private static readonly Meter Meter = new("PaxosGo", "1.0");

    /// <summary>DNS queries answered (tag <c>transport</c>: udp or tcp).</summary>
    public static readonly Counter<long> QueriesAnswered =
        Meter.CreateCounter<long>("paxosgo.dns.queries", description: "DNS queries answered by this node");

    /// <summary>UDP datagrams dropped unanswered (tag <c>reason</c>: malformed, oversized, response).</summary>
    public static readonly Counter<long> QueriesDropped =
        Meter.CreateCounter<long>("paxosgo.dns.dropped", description: "DNS datagrams this node dropped without an answer");

    /// <summary>Zone files a node refused to serve (missing, tampered, invalid), once per zone and file.</summary>
    public static readonly Counter<long> ZoneFilesRefused =
        Meter.CreateCounter<long>("paxosgo.dns.zone_files.refused", description: "Zone files this node refused to load (missing, content not matching its hash, invalid)");

    /// <summary>Zone files loaded and served.</summary>
    public static readonly Counter<long> ZoneFilesLoaded =
        Meter.CreateCounter<long>("paxosgo.dns.zone_files.loaded", description: "Zone files this node loaded and serves");
}
