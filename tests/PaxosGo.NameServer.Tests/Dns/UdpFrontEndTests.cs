using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using DnsClient;
using Microsoft.Extensions.Logging.Abstractions;
using PaxosGo.NameServer.Dns;
using PaxosGo.NameServer.Tests.Zones;
using Xunit;

namespace PaxosGo.NameServer.Tests.Dns;

/// <summary>
/// The UDP front end on a real loopback socket: it answers a real resolver, copies cached answers
/// with each query's own ID, and garbage, responses, oversized datagrams and floods neither crash
/// nor block it: it keeps answering others.
/// </summary>
public sealed class UdpFrontEndTests : IDisposable
{
    private readonly UdpFrontEnd _server;
    private readonly LookupClient _resolver;

    public UdpFrontEndTests()
    {
        var zones = Zones.Set(ZoneTexts.Example);
        _server = new UdpFrontEnd(new IPEndPoint(IPAddress.Loopback, 0), () => zones, NullLogger.Instance, threads: 2);
        _server.Start();
        _resolver = new LookupClient(new LookupClientOptions(_server.LocalEndPoint)
        {
            UseTcpFallback = false,
            Recursion = false,
            UseCache = false,
            Retries = 0,
            Timeout = TimeSpan.FromSeconds(2),
            ThrowDnsErrors = false,
        });
    }

    public void Dispose() => _server.Dispose();

    [Fact]
    public async Task ARealResolver_GetsAuthoritativeAnswers_AndRepeatedQueriesGetTheirOwnIds()
    {
        for (int i = 0; i < 20; i++) // after the first, answers come from the cache
        {
            var answer = await _resolver.QueryAsync("www.example.com", QueryType.A);
            Assert.False(answer.HasError, answer.ErrorMessage);
            Assert.True(answer.Header.HasAuthorityAnswer);
            Assert.Equal("192.0.2.10", Assert.Single(answer.Answers.ARecords()).Address.ToString());
        }

        var missing = await _resolver.QueryAsync("nope.example.com", QueryType.A);
        Assert.Equal(DnsClient.DnsHeaderResponseCode.NotExistentDomain, missing.Header.ResponseCode);
        Assert.Single(missing.Authorities.SoaRecords());

        using var socket = Connect();
        for (ushort id = 1; id <= 5; id++)
        {
            socket.Send(Encode(id, "www.example.com", RecordType.A));
            var reply = Receive(socket)!;
            Assert.Equal(id, reply.TransactionID);
        }
    }

    [Fact]
    public async Task GarbageResponsesOversizedDatagramsAndAFlood_AreDropped_AndTheServerKeepsAnswering()
    {
        using var socket = Connect();
        var random = new Random(1234);
        var junk = new List<byte[]>
        {
            Array.Empty<byte>(),
            new byte[] { 0x12 },
            new byte[11],
            new byte[12], // a header that says nothing
            new byte[5000], // over the query limit
            Encode(7, "www.example.com", RecordType.A, response: true), // a response: answering it could loop
            new byte[] { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1 }, // a name that points at itself
        };
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[random.Next(1, 600)];
            random.NextBytes(bytes);
            junk.Add(bytes);
        }

        foreach (var datagram in junk) socket.Send(datagram);

        // A flood of distinct garbage and of queries, faster than one client would send.
        for (int i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(12, 100)];
            random.NextBytes(bytes);
            socket.Send(i % 2 == 0 ? bytes : Encode((ushort)i, $"n{i}.example.com", RecordType.A));
        }

        // Still answering, and correctly.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            string problem;
            try
            {
                var answer = await _resolver.QueryAsync("mail.example.com", QueryType.A);
                if (!answer.HasError)
                {
                    Assert.Equal("192.0.2.20", Assert.Single(answer.Answers.ARecords()).Address.ToString());
                    break;
                }

                problem = answer.ErrorMessage;
            }
            catch (DnsResponseException e)
            {
                problem = e.Message; // still working through the flood's backlog
            }

            Assert.True(DateTime.UtcNow < deadline, "the server stopped answering after the flood: " + problem);
        }

        // Whatever came back is a response: an answer to one question, or FORMERR to random bytes that
        // happened to parse as a query without exactly one.
        socket.ReceiveTimeout = 200;
        while (Receive(socket) is { } reply)
        {
            Assert.False(reply.IsQuery);
            Assert.True(reply.Questions.Count == 1 || reply.ReturnCode == ReturnCode.FormatError, $"{reply.Questions.Count} questions, {reply.ReturnCode}");
        }
    }

    private Socket Connect()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 2000 };
        socket.Connect(_server.LocalEndPoint);
        return socket;
    }

    private static byte[] Encode(ushort id, string name, RecordType type, bool response = false)
    {
        var message = new DnsMessage { TransactionID = id, IsQuery = !response };
        message.Questions.Add(new ARSoft.Tools.Net.Dns.DnsQuestion(DomainName.Parse(name), type, RecordClass.INet));
        return DnsWire.Encode(message);
    }

    private static DnsMessage? Receive(Socket socket)
    {
        var buffer = new byte[4096];
        try
        {
            int n = socket.Receive(buffer);
            return DnsMessage.Parse(new ArraySegment<byte>(buffer, 0, n));
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
