using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using DnsClient;
using PaxosGo.NameServer.Dns;

namespace PaxosGo.Orleans.Tests.NameServer;

/// <summary>Real DNS queries to one node: DnsClient over UDP only or TCP only, and raw UDP datagrams.</summary>
internal sealed class DnsProbe(IPEndPoint server)
{
    public IPEndPoint Server { get; } = server;

    public LookupClient Udp { get; } = new(new LookupClientOptions(server)
    {
        UseTcpFallback = false,
        Recursion = false,
        UseCache = false,
        Retries = 0,
        Timeout = TimeSpan.FromSeconds(2),
        ThrowDnsErrors = false,
    });

    public LookupClient Tcp { get; } = new(new LookupClientOptions(server)
    {
        UseTcpOnly = true,
        Recursion = false,
        UseCache = false,
        Retries = 0,
        Timeout = TimeSpan.FromSeconds(2),
        ThrowDnsErrors = false,
    });

    /// <summary>Asks until <paramref name="accept"/> holds for the UDP answer; returns how long it took, or throws after <paramref name="within"/>.</summary>
    public async Task<TimeSpan> WaitUntilAsync(string name, QueryType type, Func<IDnsQueryResponse, bool> accept, TimeSpan within)
    {
        var started = DateTime.UtcNow;
        string last = "no answer";
        while (DateTime.UtcNow - started < within)
        {
            try
            {
                var answer = await Udp.QueryAsync(name, type);
                if (accept(answer)) return DateTime.UtcNow - started;
                last = $"{answer.Header.ResponseCode}, {answer.Answers.Count} answers";
            }
            catch (DnsResponseException e)
            {
                last = e.Message;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{Server}: {name} {type} not as expected within {within.TotalSeconds:0} s (last: {last})");
    }

    /// <summary>The SOA serial the node answers for <paramref name="zone"/> over UDP, or null when it answers none.</summary>
    public async Task<uint?> SerialAsync(string zone)
    {
        try
        {
            var answer = await Udp.QueryAsync(zone, QueryType.SOA);
            return answer.Answers.SoaRecords().FirstOrDefault()?.Serial;
        }
        catch (DnsResponseException)
        {
            return null;
        }
    }

    /// <summary>One raw UDP query without EDNS (512-byte answers); its answer as ARSoft reads it.</summary>
    public DnsMessage RawUdp(string name, RecordType type)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 2000 };
        socket.Connect(Server);
        var query = new DnsMessage { TransactionID = 4242, IsQuery = true };
        query.Questions.Add(new ARSoft.Tools.Net.Dns.DnsQuestion(DomainName.Parse(name), type, RecordClass.INet));
        socket.Send(DnsWire.Encode(query));
        var buffer = new byte[65536];
        int n = socket.Receive(buffer);
        return DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, n));
    }
}
