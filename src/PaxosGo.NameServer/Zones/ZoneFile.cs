using System.Text;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace PaxosGo.NameServer.Zones;

/// <summary>
/// A zone file (RFC 1035 master-file format) read and checked for one zone: parsed by
/// ARSoft.Tools.Net, then checked as a zone must be (one SOA, at the apex; every name in the zone;
/// class IN; no CNAME beside other data). The same checks run at the entry node before a put is
/// proposed and on every node that loads the file to serve it.
/// </summary>
public sealed class ZoneFile
{
    private ZoneFile(DomainName name, IReadOnlyList<DnsRecordBase> records, SoaRecord soa)
    {
        Name = name;
        Records = records;
        Soa = soa;
    }

    /// <summary>The zone's name (its apex).</summary>
    public DomainName Name { get; }

    /// <summary>Every record of the zone, in file order.</summary>
    public IReadOnlyList<DnsRecordBase> Records { get; }

    /// <summary>The zone's SOA record (its serial is the zone's version).</summary>
    public SoaRecord Soa { get; }

    /// <summary>
    /// Reads <paramref name="content"/> as the zone file of <paramref name="zoneName"/> (relative names
    /// are relative to it, unless the file sets <c>$ORIGIN</c>). Null with <paramref name="error"/> (one
    /// line, with the file line where it can be told) when the file is not a valid zone.
    /// </summary>
    public static ZoneFile? Parse(string zoneName, ReadOnlySpan<byte> content, out string error)
    {
        if (ZoneName.Normalize(zoneName, out error) is not { } canonical) return null;
        var name = DomainName.Parse(canonical);
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(content);
        }
        catch (DecoderFallbackException)
        {
            error = "the zone file is not UTF-8 text";
            return null;
        }

        List<(int Line, string Text)> lines;
        try
        {
            lines = MasterFileText.LogicalLines(text);
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }

        if (lines.Any(l => l.Text.TrimStart().StartsWith("$INCLUDE", StringComparison.OrdinalIgnoreCase)))
        {
            error = "$INCLUDE is not supported: a zone is one file";
            return null;
        }

        var records = TryParse(name, lines, lines.Count, out var failure);
        if (records is null)
        {
            error = $"{WhereItFails(name, lines)}{failure}";
            return null;
        }

        return Check(name, records, out error);
    }

    private static List<DnsRecordBase>? TryParse(DomainName name, List<(int Line, string Text)> lines, int count, out string error)
    {
        error = string.Empty;
        var joined = string.Join('\n', lines.Take(count).Select(l => l.Text)) + "\n";
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(joined));
            return Zone.ParseMasterFile(name, stream).ToList();
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or NotSupportedException or OverflowException)
        {
            error = e is ArgumentException && e.Message.StartsWith("Domain name could not be parsed", StringComparison.Ordinal)
                ? "a name is not a valid domain name (a label longer than 63 bytes, a name longer than 255, or an empty label)"
                : e.Message.Replace(" (Parameter 's')", string.Empty, StringComparison.Ordinal).TrimEnd('.');
            return null;
        }
    }

    /// <summary>
    /// The first line whose addition makes the file fail to parse ("line N: "), found by bisection
    /// over prefixes (a prefix that fails makes every longer one fail): about 20 parses for 1 MiB.
    /// </summary>
    private static string WhereItFails(DomainName name, List<(int Line, string Text)> lines)
    {
        int good = 0, bad = lines.Count; // the first `good` lines parse; the first `bad` do not
        while (bad - good > 1)
        {
            int middle = good + ((bad - good) / 2);
            if (TryParse(name, lines, middle, out _) is null) bad = middle;
            else good = middle;
        }

        return $"line {lines[bad - 1].Line}: "; // called only when the whole file fails: `bad` starts failing
    }

    private static ZoneFile? Check(DomainName name, List<DnsRecordBase> records, out string error)
    {
        error = string.Empty;
        if (records.Count == 0)
        {
            error = "the zone file holds no records";
            return null;
        }

        var soas = records.OfType<SoaRecord>().ToList();
        if (soas.Count != 1)
        {
            error = soas.Count == 0 ? $"the zone file has no SOA record for {name}" : $"the zone file has {soas.Count} SOA records; a zone has one";
            return null;
        }

        if (!soas[0].Name.Equals(name))
        {
            error = $"the SOA record is for {soas[0].Name}, not for the zone {name}";
            return null;
        }

        foreach (var record in records)
        {
            if (!record.Name.IsEqualOrSubDomainOf(name))
            {
                error = $"{record.Name} is outside the zone {name}";
                return null;
            }

            if (record.RecordClass != RecordClass.INet)
            {
                error = $"{record.Name} {record.RecordType}: class {record.RecordClass} is not served; only IN";
                return null;
            }

            if (record is UnknownRecord)
            {
                error = $"{record.Name}: record type {record.RecordType} is not known";
                return null;
            }

            if (record.Name.Labels.Contains("*"))
            {
                error = $"{record.Name}: wildcards are not served; list each name";
                return null;
            }

            if (record.RecordType == RecordType.Ns && !record.Name.Equals(name))
            {
                error = $"{record.Name} NS: delegations below the apex are not served; put the child zone itself";
                return null;
            }
        }

        foreach (var owner in records.GroupBy(r => r.Name))
        {
            if (owner.Any(r => r.RecordType == RecordType.CName) && owner.Count() > 1)
            {
                error = $"{owner.Key} has a CNAME beside other records; a CNAME must be alone at its name";
                return null;
            }
        }

        return new ZoneFile(name, records, soas[0]);
    }
}
