namespace PaxosGo.NameServer.Zones;

/// <summary>One zone as this node holds it: what the replicated map says, what is served, and why not when they differ.</summary>
/// <param name="Name">The zone.</param>
/// <param name="Hash">The hash the replicated zone map holds for it (hex).</param>
/// <param name="ServingHash">The hash of the file this node answers from (hex), or null when it answers nothing for the zone.</param>
/// <param name="Serial">The SOA serial served, or null.</param>
/// <param name="Records">The records served, or null.</param>
/// <param name="Error">Why the file of <paramref name="Hash"/> is not served, or null when it is.</param>
public sealed record ZoneStatus(string Name, string Hash, string? ServingHash, uint? Serial, int? Records, string? Error);
