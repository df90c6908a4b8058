using System.Text;
using ARSoft.Tools.Net.Dns;
using PaxosGo.NameServer.Zones;
using Xunit;

namespace PaxosGo.NameServer.Tests.Zones;

/// <summary>Zone files are read with every record and refused, with a clear one-line reason, when they are not a valid zone of their name.</summary>
public sealed class ZoneFileTests
{
    private static ZoneFile Parse(string text, string name = "example.com")
    {
        var zone = ZoneFile.Parse(name, Encoding.UTF8.GetBytes(text), out var error);
        Assert.True(zone is not null, error);
        return zone!;
    }

    private static string Refusal(string text, string name = "example.com")
    {
        var zone = ZoneFile.Parse(name, Encoding.UTF8.GetBytes(text), out var error);
        Assert.Null(zone);
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.DoesNotContain('\n', error);
        return error;
    }

    [Fact]
    public void TheBenchmarkZone_WithItsSoaParenthesesOnOneLine_ParsesEveryRecordOfEveryType()
    {
        var zone = Parse(ZoneTexts.Example);
        Assert.Equal(13, zone.Records.Count);
        Assert.Equal(2026120101u, zone.Soa.SerialNumber);
        Assert.Equal("example.com.", zone.Name.ToString());
        var types = zone.Records.Select(r => r.RecordType).ToHashSet();
        Assert.Superset(new HashSet<RecordType> { RecordType.Soa, RecordType.Ns, RecordType.Mx, RecordType.Txt, RecordType.A, RecordType.Aaaa, RecordType.CName, RecordType.Srv }, types);
        Assert.Contains(zone.Records.OfType<SrvRecord>(), r => r.Port == 5060 && r.Name.ToString() == "_sip._tcp.example.com.");
    }

    [Fact]
    public void ASoaOverSeveralLines_WithComments_ParsesAsOneRecord_AndRelativeNamesAreInTheZone()
    {
        var zone = Parse(ZoneTexts.MultiLine(7), "EXAMPLE.com.");
        Assert.Equal(7u, zone.Soa.SerialNumber);
        Assert.Equal(60, zone.Soa.NegativeCachingTTL);
        Assert.Contains(zone.Records.OfType<ARecord>(), r => r.Name.ToString() == "www.example.com.");
    }

    [Theory]
    [InlineData("@ IN SOA ns1 host 1 2 3 4 5\nwww IN FOO 1.2.3.4\n", "line 2")]
    [InlineData("@ IN SOA ns1 host 1 2 3 4 5\nthis is not a record at all\n", "line 2")]
    [InlineData("@ IN SOA ns1 host 1 2 3 4 5\nwww IN A 1.2.3.4.5\n", "line 2")]
    [InlineData("www IN A 192.0.2.1\n", "no SOA")]
    [InlineData("@ IN SOA ns1 host 1 2 3 4 5\n@ IN SOA ns1 host 2 2 3 4 5\n", "2 SOA records")]
    [InlineData("$ORIGIN example.org.\n@ IN SOA ns1 host 1 2 3 4 5\n", "not for the zone")]
    [InlineData("@ IN SOA ns1 host 1 2 3 4 5\nwww.example.org. IN A 192.0.2.1\n", "outside the zone")]
    [InlineData("@ IN SOA ns1 host 1 2 3 4 5\napi IN CNAME www\napi IN A 192.0.2.1\n", "CNAME beside other records")]
    [InlineData("@ IN SOA ns1 host ( 1 2 3 4 5\n", "never closed")]
    [InlineData("@ IN SOA ns1 host 1 2 3 4 5\nwww IN TXT \"open\n", "not closed")]
    [InlineData("$INCLUDE /etc/passwd\n", "$INCLUDE")]
    [InlineData("@ IN SOA ns1 host 1 2 3 4 5\nsub IN NS ns.other.example.\n", "delegations below the apex")]
    [InlineData("@ IN SOA ns1 host 1 2 3 4 5\n*.web IN A 192.0.2.1\n", "wildcards are not served")]
    [InlineData("", "no records")]
    public void AnInvalidZoneFile_IsRefusedWithItsReason(string text, string reason)
    {
        Assert.Contains(reason, Refusal(text), StringComparison.Ordinal);
    }

    [Fact]
    public void ALabelLongerThan63_IsRefusedAsAnInvalidName()
    {
        string text = $"@ IN SOA ns1 host 1 2 3 4 5\n{new string('a', 64)} IN A 192.0.2.1\n";
        Assert.Contains("not a valid domain name", Refusal(text), StringComparison.Ordinal);
    }

    [Fact]
    public void ABadZoneName_OrAFileThatIsNotUtf8_IsRefused()
    {
        Assert.Contains("label", Refusal(ZoneTexts.Example, "bad..name"), StringComparison.OrdinalIgnoreCase);
        var zone = ZoneFile.Parse("example.com", [0xff, 0xfe, 0x00, 0x41], out var error);
        Assert.Null(zone);
        Assert.Contains("UTF-8", error, StringComparison.Ordinal);
    }
}
