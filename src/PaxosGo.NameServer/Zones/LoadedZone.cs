using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace PaxosGo.NameServer.Zones;

/// <summary>One zone as a node serves it: a checked <see cref="ZoneFile"/> indexed by owner name.</summary>
public sealed class LoadedZone
{
    private readonly Dictionary<DomainName, DnsRecordBase[]> _byOwner;
    private readonly HashSet<DomainName> _ancestors; // names with records below them (empty non-terminals answer NODATA)

    /// <summary>Indexes <paramref name="file"/>, whose content hashes to <paramref name="hash"/>.</summary>
    public LoadedZone(ZoneFile file, byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(hash);
        Name = file.Name;
        Hash = hash;
        Soa = file.Soa;
        RecordCount = file.Records.Count;
        // RFC 2308: a negative answer's SOA lives for the lesser of its TTL and its minimum field.
        NegativeSoa = new SoaRecord(
            Soa.Name, Math.Min(Soa.TimeToLive, Soa.NegativeCachingTTL), Soa.MasterName, Soa.ResponsibleName,
            Soa.SerialNumber, Soa.RefreshInterval, Soa.RetryInterval, Soa.ExpireInterval, Soa.NegativeCachingTTL);
        _byOwner = file.Records.GroupBy(r => r.Name).ToDictionary(g => g.Key, g => g.ToArray());
        _ancestors = new HashSet<DomainName>();
        foreach (var owner in _byOwner.Keys)
        {
            for (var name = owner; name.LabelCount > Name.LabelCount; )
            {
                name = name.GetParentName();
                if (!_ancestors.Add(name)) break;
            }
        }
    }

    /// <summary>The zone's apex.</summary>
    public DomainName Name { get; }

    /// <summary>The SHA-256 of the zone file served.</summary>
    public byte[] Hash { get; }

    /// <summary>The zone's SOA record.</summary>
    public SoaRecord Soa { get; }

    /// <summary>The zone's SOA as negative answers carry it in their authority section.</summary>
    public SoaRecord NegativeSoa { get; }

    /// <summary>The zone's serial (from its SOA).</summary>
    public uint Serial => Soa.SerialNumber;

    /// <summary>How many records the zone holds.</summary>
    public int RecordCount { get; }

    /// <summary>The records owned by <paramref name="name"/>, or null when it owns none.</summary>
    public DnsRecordBase[]? RecordsAt(DomainName name) => _byOwner.GetValueOrDefault(name);

    /// <summary>Whether <paramref name="name"/> exists in the zone (owns records, or has names below it that do).</summary>
    public bool Exists(DomainName name) => _byOwner.ContainsKey(name) || _ancestors.Contains(name);
}
