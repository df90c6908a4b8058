using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using PaxosGo.NameServer.Dns;
using PaxosGo.NameServer.Tests.Zones;
using Xunit;

namespace PaxosGo.NameServer.Tests.Dns;

/// <summary>
/// Authoritative answers from the zones a node serves: every record type, CNAMEs followed inside the
/// zone, NXDOMAIN and NODATA with the SOA, REFUSED outside every zone, EDNS and truncation.
/// </summary>
public sealed class ZoneAnswererTests
{
    private static readonly global::PaxosGo.NameServer.Zones.ZoneSet Example = Zones.Set(ZoneTexts.Example);

    private static DnsMessage Query(string name, RecordType type, bool edns = false, ushort payload = 1232)
    {
        var query = new DnsMessage { IsQuery = true, OperationCode = OperationCode.Query };
        query.Questions.Add(new DnsQuestion(DomainName.Parse(name), type, RecordClass.INet));
        if (edns) query.EDnsOptions = new OptRecord(payload);
        return query;
    }

    private static DnsMessage Ask(string name, RecordType type) => ZoneAnswerer.Answer(Query(name, type), Example)!;

    [Theory]
    [InlineData("www.example.com", RecordType.A, "192.0.2.10")]
    [InlineData("www.example.com", RecordType.Aaaa, "2001:db8::10")]
    [InlineData("example.com", RecordType.Mx, "mail.example.com.")]
    [InlineData("example.com", RecordType.Ns, "ns2.example.com.")]
    [InlineData("example.com", RecordType.Soa, "2026120101")]
    [InlineData("example.com", RecordType.Txt, "v=spf1 -all")]
    [InlineData("_sip._tcp.example.com", RecordType.Srv, "5060 sip.example.com.")]
    [InlineData("api.example.com", RecordType.CName, "www.example.com.")]
    [InlineData("WWW.Example.COM", RecordType.A, "192.0.2.10")]
    public void EachRecordType_IsAnsweredAuthoritatively_FromTheZone(string name, RecordType type, string expected)
    {
        var answer = Ask(name, type);
        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        Assert.True(answer.IsAuthoritiveAnswer);
        Assert.False(answer.IsRecursionAllowed);
        Assert.NotEmpty(answer.AnswerRecords);
        Assert.All(answer.AnswerRecords, r => Assert.Equal(type, r.RecordType));
        Assert.Contains(answer.AnswerRecords, r => r.ToString().Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void AnAlias_IsAnsweredWithItsCname_AndTheTargetsRecordsInTheSameZone()
    {
        var answer = Ask("api.example.com", RecordType.A);
        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        Assert.Collection(answer.AnswerRecords,
            r => Assert.Equal("www.example.com.", ((CNameRecord)r).CanonicalName.ToString()),
            r => Assert.Equal("192.0.2.10", ((ARecord)r).Address.ToString()));
    }

    [Fact]
    public void AMissingName_IsNxdomain_WithTheSoaInTheAuthoritySection_AtItsNegativeTtl()
    {
        var answer = Ask("nope.example.com", RecordType.A);
        Assert.Equal(ReturnCode.NxDomain, answer.ReturnCode);
        Assert.True(answer.IsAuthoritiveAnswer);
        Assert.Empty(answer.AnswerRecords);
        var soa = Assert.IsType<SoaRecord>(Assert.Single(answer.AuthorityRecords));
        Assert.Equal(2026120101u, soa.SerialNumber);
        Assert.Equal(300, soa.TimeToLive);
    }

    [Theory]
    [InlineData("www.example.com", RecordType.Mx)]
    [InlineData("_tcp.example.com", RecordType.A)] // exists only as a parent of _sip._tcp: an empty non-terminal
    public void AnExistingNameWithoutTheType_IsNodata_WithTheSoa(string name, RecordType type)
    {
        var answer = Ask(name, type);
        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        Assert.True(answer.IsAuthoritiveAnswer);
        Assert.Empty(answer.AnswerRecords);
        Assert.IsType<SoaRecord>(Assert.Single(answer.AuthorityRecords));
    }

    [Theory]
    [InlineData("example.org")]
    [InlineData("com")]
    [InlineData("notexample.com")]
    public void ANameOutsideEveryZone_IsRefused_NotAuthoritative(string name)
    {
        var answer = Ask(name, RecordType.A);
        Assert.Equal(ReturnCode.Refused, answer.ReturnCode);
        Assert.False(answer.IsAuthoritiveAnswer);
        Assert.Empty(answer.AnswerRecords);
    }

    [Fact]
    public void AResponse_IsNeverAnswered_AndOddQueriesGetTheirCodes()
    {
        var response = Query("www.example.com", RecordType.A);
        response.IsQuery = false;
        Assert.Null(ZoneAnswerer.Answer(response, Example));

        var two = Query("www.example.com", RecordType.A);
        two.Questions.Add(new DnsQuestion(DomainName.Parse("example.com"), RecordType.Mx, RecordClass.INet));
        Assert.Equal(ReturnCode.FormatError, ZoneAnswerer.Answer(two, Example)!.ReturnCode);

        var notify = Query("example.com", RecordType.Soa);
        notify.OperationCode = OperationCode.Notify;
        Assert.Equal(ReturnCode.NotImplemented, ZoneAnswerer.Answer(notify, Example)!.ReturnCode);

        Assert.Equal(ReturnCode.Refused, Ask("example.com", RecordType.Axfr).ReturnCode);
    }

    [Fact]
    public void Edns_IsAnsweredWithOurPayloadSize_AndAnUnknownVersionGetsBadVersion()
    {
        var answer = ZoneAnswerer.Answer(Query("www.example.com", RecordType.A, edns: true, payload: 4096), Example)!;
        Assert.True(answer.IsEDnsEnabled);
        Assert.Equal(ZoneAnswerer.MaxUdpPayload, answer.EDnsOptions!.UdpPayloadSize);

        var future = Query("www.example.com", RecordType.A, edns: true);
        future.EDnsOptions!.Version = 1;
        Assert.Equal(ReturnCode.BadVersion, ZoneAnswerer.Answer(future, Example)!.ReturnCode);

        Assert.Equal(512, ZoneAnswerer.UdpLimit(Query("x.example.com", RecordType.A)));
        Assert.Equal(512, ZoneAnswerer.UdpLimit(Query("x.example.com", RecordType.A, edns: true, payload: 100)));
        Assert.Equal(1000, ZoneAnswerer.UdpLimit(Query("x.example.com", RecordType.A, edns: true, payload: 1000)));
        Assert.Equal(1232, ZoneAnswerer.UdpLimit(Query("x.example.com", RecordType.A, edns: true, payload: 65000)));
    }

    [Fact]
    public void AnAnswerTooLargeForTheClientsBuffer_IsTruncated_WithTcSet_AndFitsWhenTheBufferAllows()
    {
        var zones = Zones.Set(ZoneTexts.WithBigAnswer(9));
        var plain = Query("big.example.com", RecordType.Txt);
        var bytes = DnsWire.Encode(ZoneAnswerer.Answer(plain, zones)!, ZoneAnswerer.UdpLimit(plain));
        Assert.True(bytes.Length <= 512, $"{bytes.Length} bytes");
        var truncated = DnsMessage.Parse(bytes);
        Assert.True(truncated.IsTruncated);
        Assert.Empty(truncated.AnswerRecords);
        Assert.Equal(plain.TransactionID, truncated.TransactionID);

        var large = Query("big.example.com", RecordType.Txt, edns: true, payload: 1232);
        var whole = DnsMessage.Parse(DnsWire.Encode(ZoneAnswerer.Answer(large, zones)!, ZoneAnswerer.UdpLimit(large)));
        Assert.False(whole.IsTruncated);
        Assert.Equal(8, whole.AnswerRecords.Count);
        Assert.True(whole.IsEDnsEnabled);
    }

    [Fact]
    public void AnAliasIntoANestedZone_IsFollowedThere_NotAnsweredNxdomainByTheParent()
    {
        var parent = Zones.Load(ZoneTexts.Example + "alias IN CNAME host.sub.example.com.\n");
        var child = Zones.Load("@ IN SOA ns1 host 77 2 3 4 5\nhost IN A 198.51.100.9\n", "sub.example.com");
        var zones = new global::PaxosGo.NameServer.Zones.ZoneSet([parent, child]);
        var answer = ZoneAnswerer.Answer(Query("alias.example.com", RecordType.A), zones)!;
        Assert.Equal(ReturnCode.NoError, answer.ReturnCode);
        Assert.Collection(answer.AnswerRecords,
            r => Assert.IsType<CNameRecord>(r),
            r => Assert.Equal("198.51.100.9", ((ARecord)r).Address.ToString()));
    }

    [Fact]
    public void TheDnssecOkBit_IsCopiedIntoTheAnswersOptRecord()
    {
        var query = Query("www.example.com", RecordType.A, edns: true);
        query.EDnsOptions!.IsDnsSecOk = true;
        Assert.True(ZoneAnswerer.Answer(query, Example)!.EDnsOptions!.IsDnsSecOk);
        Assert.False(ZoneAnswerer.Answer(Query("www.example.com", RecordType.A, edns: true), Example)!.EDnsOptions!.IsDnsSecOk);
    }

    [Fact]
    public void TheLongestEnclosingZone_Answers_WhenZonesNest()
    {
        var parent = Zones.Load(ZoneTexts.Example);
        var child = Zones.Load("@ IN SOA ns1 host 77 2 3 4 5\nwww IN A 198.51.100.7\n", "sub.example.com");
        var zones = new global::PaxosGo.NameServer.Zones.ZoneSet([parent, child]);
        var answer = ZoneAnswerer.Answer(Query("www.sub.example.com", RecordType.A), zones)!;
        Assert.Equal("198.51.100.7", ((ARecord)Assert.Single(answer.AnswerRecords)).Address.ToString());
        Assert.Equal(ReturnCode.NxDomain, ZoneAnswerer.Answer(Query("nope.sub.example.com", RecordType.A), zones)!.ReturnCode);
        Assert.Equal(77u, ((SoaRecord)ZoneAnswerer.Answer(Query("nope.sub.example.com", RecordType.A), zones)!.AuthorityRecords[0]).SerialNumber);
    }
}
