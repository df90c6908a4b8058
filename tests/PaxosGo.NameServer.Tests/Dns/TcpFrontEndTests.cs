using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using DnsClient;
using Microsoft.Extensions.Logging.Abstractions;
using PaxosGo.NameServer.Dns;
using PaxosGo.NameServer.Storage;
using PaxosGo.NameServer.Zones;
using PaxosGo.Orleans.Applications;
using Xunit;

namespace PaxosGo.NameServer.Tests.Dns;

/// <summary>
/// The whole front end on real loopback sockets, before any zone is loaded: over TCP and UDP it
/// refuses names it holds no zone for, and garbage or a cut-off message on a TCP connection does not
/// stop it from answering the next connection.
/// </summary>
public sealed class TcpFrontEndTests : IAsyncLifetime, IDisposable
{
    private readonly DnsFrontEnd _frontEnd;
    private readonly int _port = FreePort();

    public TcpFrontEndTests()
    {
        // A catalog that is never started (no replica, no storage read): it serves no zone.
        var catalog = new ZoneCatalog(
            new LocalReplicas(),
            new ZoneFileStore(new BlobContainerClient(new Uri("http://127.0.0.1:9/never-read"))),
            "dns",
            TimeSpan.FromSeconds(5),
            NullLogger<ZoneCatalog>.Instance);
        _frontEnd = new DnsFrontEnd(catalog, new IPEndPoint(IPAddress.Loopback, _port), 2, "node-a", "dns", NullLogger<DnsFrontEnd>.Instance);
    }

    public Task InitializeAsync() => _frontEnd.StartAsync(CancellationToken.None);

    public Task DisposeAsync() => _frontEnd.StopAsync(CancellationToken.None);

    public void Dispose() => _frontEnd.Dispose();

    [Fact]
    public async Task GarbageAndCutOffMessagesOverTcp_DoNotStopTheServer_AndUnknownNamesAreRefusedOverBoth()
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, _port);
        var random = new Random(99);
        for (int i = 0; i < 20; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(endpoint);
            var stream = tcp.GetStream();
            var junk = new byte[random.Next(1, 300)];
            random.NextBytes(junk);
            if (i % 2 == 0)
            {
                var framed = new byte[junk.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)(i % 4 == 0 ? junk.Length : 60_000)); // a length, then less than it says
                junk.CopyTo(framed, 2);
                junk = framed;
            }

            await stream.WriteAsync(junk);
        }

        foreach (var tcpOnly in new[] { true, false })
        {
            var resolver = new LookupClient(new LookupClientOptions(endpoint)
            {
                UseTcpOnly = tcpOnly,
                UseTcpFallback = false,
                Recursion = false,
                UseCache = false,
                Retries = 2,
                Timeout = TimeSpan.FromSeconds(2),
                ThrowDnsErrors = false,
            });
            var answer = await resolver.QueryAsync("www.example.com", QueryType.A);
            Assert.Equal(DnsHeaderResponseCode.Refused, answer.Header.ResponseCode);
            Assert.False(answer.Header.HasAuthorityAnswer);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
