using System.Net;
using ARSoft.Tools.Net.Dns;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PaxosGo.NameServer.Zones;

namespace PaxosGo.NameServer.Dns;

/// <summary>
/// The node's DNS server on its DNS port: UDP by <see cref="UdpFrontEnd"/>, TCP by ARSoft.Tools.Net's
/// server (which frames messages and closes idle or broken connections), both answering from the
/// zones the <see cref="ZoneCatalog"/> serves.
/// </summary>
public sealed class DnsFrontEnd : IHostedService, IDisposable
{
    private static readonly KeyValuePair<string, object?> Tcp = new("transport", "tcp");
    private readonly ZoneCatalog _catalog;
    private readonly IPEndPoint _endpoint;
    private readonly int _udpThreads;
    private readonly ILogger<DnsFrontEnd> _logger;
    private readonly string _node;
    private readonly string _application;
    private UdpFrontEnd? _udp;
    private DnsServer? _tcp;

    /// <summary>A front end on <paramref name="endpoint"/>.</summary>
    public DnsFrontEnd(ZoneCatalog catalog, IPEndPoint endpoint, int udpThreads, string node, string application, ILogger<DnsFrontEnd> logger)
    {
        _catalog = catalog;
        _endpoint = endpoint;
        _udpThreads = udpThreads;
        _node = node;
        _application = application;
        _logger = logger;
    }

    /// <summary>Where it answers over UDP (the bound port, when the configured one was 0).</summary>
    public IPEndPoint? UdpEndPoint => _udp?.LocalEndPoint;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _udp = new UdpFrontEnd(_endpoint, () => _catalog.Current, _logger, _udpThreads);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new InvalidOperationException($"the DNS port {_endpoint} (UDP) of node '{_node}' is not available: {e.Message}", e);
        }

        _udp.Start();
        try
        {
            _tcp = new DnsServer(new TcpServerTransport(new IPEndPoint(_endpoint.Address, _udp.LocalEndPoint.Port)));
            _tcp.QueryReceived += OnTcpQuery;
            _tcp.Start();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            Dispose(); // a failed start is not stopped: close the UDP side here
            throw new InvalidOperationException($"the DNS port {_endpoint} (TCP) of node '{_node}' is not available: {e.Message}", e);
        }

        Log.Listening(_logger, _node, _udp.LocalEndPoint, _application);
        return Task.CompletedTask;
    }

    private Task OnTcpQuery(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is DnsMessage query && ZoneAnswerer.Answer(query, _catalog.Current) is { } response)
        {
            e.Response = response;
            NameServerMetrics.QueriesAnswered.Add(1, Tcp);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _tcp?.Stop();
        ((IDisposable?)_tcp)?.Dispose();
        _tcp = null;
        _udp?.Dispose();
        _udp = null;
    }
}
