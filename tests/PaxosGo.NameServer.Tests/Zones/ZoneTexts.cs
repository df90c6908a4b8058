namespace PaxosGo.NameServer.Tests.Zones;

/// <summary>Zone files the tests use: the NSD benchmark's zone (parentheses on the SOA line) and variants.</summary>
internal static class ZoneTexts
{
    public const string Example = """
        $ORIGIN example.com.
        $TTL 300
        @       IN SOA ns1.example.com. hostmaster.example.com. ( 2026120101 3600 600 86400 300 )
        @       IN NS  ns1.example.com.
        @       IN NS  ns2.example.com.
        @       IN MX  10 mail.example.com.
        @       IN TXT "v=spf1 -all"
        ns1     IN A   192.0.2.1
        ns2     IN A   192.0.2.2
        www     IN A   192.0.2.10
        www     IN AAAA 2001:db8::10
        mail    IN A   192.0.2.20
        api     IN CNAME www.example.com.
        _sip._tcp IN SRV 10 60 5060 sip.example.com.
        sip     IN A   192.0.2.30

        """;

    /// <summary>The same zone with its SOA over several lines, comments inside, and serial <paramref name="serial"/>.</summary>
    public static string MultiLine(uint serial, string extra = "") => $"""
        $TTL 300
        @   IN SOA ns1.example.com. hostmaster.example.com. (
                {serial} ; serial
                3600       ; refresh
                600        ; retry
                86400      ; expire
                60 )       ; negative caching
        @   IN NS ns1.example.com.
        ns1 IN A 192.0.2.1
        www IN A 192.0.2.10
        {extra}
        """;

    /// <summary>A zone whose <c>big</c> name has TXT records too large for a 512-byte UDP answer.</summary>
    public static string WithBigAnswer(uint serial) =>
        MultiLine(serial, string.Join('\n', Enumerable.Range(0, 8).Select(i => $"big IN TXT \"{new string((char)('a' + i), 100)}\"")));
}
