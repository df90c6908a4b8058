using ARSoft.Tools.Net;
using PaxosGo.NameServer.Dns;

namespace PaxosGo.NameServer.Zones;

/// <summary>
/// Every zone a node serves at one moment, immutable: the DNS front end answers from one set while
/// the catalog builds the next. Each set has its own cache of encoded answers, which goes with it.
/// </summary>
public sealed class ZoneSet
{
    private readonly Dictionary<DomainName, LoadedZone> _zones;

    /// <summary>The set with no zones.</summary>
    public static ZoneSet Empty { get; } = new(Array.Empty<LoadedZone>());

    /// <summary>A set of <paramref name="zones"/>.</summary>
    public ZoneSet(IEnumerable<LoadedZone> zones)
    {
        ArgumentNullException.ThrowIfNull(zones);
        _zones = zones.ToDictionary(z => z.Name);
    }

    /// <summary>The zones, by apex.</summary>
    public IReadOnlyDictionary<DomainName, LoadedZone> Zones => _zones;

    /// <summary>Encoded UDP answers to queries already seen, for this set only.</summary>
    internal ResponseCache Cache { get; } = new();

    /// <summary>The zone <paramref name="name"/> falls in (the closest enclosing apex), or null.</summary>
    public LoadedZone? Find(DomainName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_zones.Count == 0) return null;
        for (int remove = 0; remove <= name.LabelCount; remove++)
        {
            if (_zones.TryGetValue(remove == 0 ? name : name.GetParentName(remove), out var zone)) return zone;
        }

        return null;
    }
}
