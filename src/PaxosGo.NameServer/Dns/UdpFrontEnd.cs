using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PaxosGo.NameServer.Zones;

namespace PaxosGo.NameServer.Dns;

/// <summary>
/// The DNS front end over UDP: one socket, one thread per core blocked in <c>ReceiveFrom</c>, each
/// answering on its own (no allocation and no task per query on the cached path). A datagram that is
/// not a query (garbage, a response, too short or too long) is dropped and counted: nothing it holds
/// can stop the loop, which keeps answering others.
/// </summary>
internal sealed class UdpFrontEnd : IDisposable
{
    private static readonly KeyValuePair<string, object?> Udp = new("transport", "udp");
    private readonly Socket _socket;
    private readonly Func<ZoneSet> _zones;
    private readonly ILogger _logger;
    private readonly List<Thread> _threads = new();
    private volatile bool _stopping;

    /// <summary>Binds <paramref name="endpoint"/> (throws <see cref="SocketException"/> when it is taken).</summary>
    public UdpFrontEnd(IPEndPoint endpoint, Func<ZoneSet> zones, ILogger logger)
    {
        _zones = zones;
        _logger = logger;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp)
        {
            ReceiveBufferSize = 4 << 20,
            SendBufferSize = 4 << 20,
            ReceiveTimeout = 1000, // wakes an idle thread now and then to see whether it should stop
        };
        try
        {
            _socket.Bind(endpoint);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }

        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
    }

    /// <summary>Where it listens.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Starts <paramref name="threads"/> receiving threads.</summary>
    public void Start(int threads)
    {
        for (int i = 0; i < threads; i++)
        {
            var thread = new Thread(Serve) { IsBackground = true, Name = $"dns-udp-{i}" };
            _threads.Add(thread);
            thread.Start();
        }
    }

    private void Serve()
    {
        var buffer = new byte[65536];
        var output = new byte[65536];
        EndPoint remote = new IPEndPoint(LocalEndPoint.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stopping)
        {
            int received;
            try
            {
                received = _socket.ReceiveFrom(buffer, ref remote);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (!_stopping)
            {
                continue; // an ICMP error for an earlier answer, say: nothing to do with the next query
            }
            catch (SocketException)
            {
                return;
            }

            try
            {
                int length = Answer(buffer, received, output);
                if (length > 0) _socket.SendTo(output, 0, length, SocketFlags.None, remote);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // The client went away: nothing to tell it.
            }
            catch (Exception e)
            {
                // A bug on one query must not stop the loop: log it and go on with the next.
                Log.QueryFailed(_logger, e, remote.ToString() ?? "?");
            }
        }
    }

    /// <summary>Writes the answer to <paramref name="received"/> bytes of <paramref name="buffer"/> into <paramref name="output"/>; its length, or 0 to drop the query.</summary>
    private int Answer(byte[] buffer, int received, byte[] output)
    {
        if (received < 12 || received > DnsWire.MaxQueryBytes)
        {
            NameServerMetrics.QueriesDropped.Add(1, new KeyValuePair<string, object?>("reason", received < 12 ? "malformed" : "oversized"));
            return 0;
        }

        var zones = _zones();
        var query = buffer.AsSpan(0, received);
        if (zones.Cache.Find(query) is { } cached)
        {
            cached.CopyTo(output, 0);
            output[0] = buffer[0]; // the query's ID
            output[1] = buffer[1];
            NameServerMetrics.QueriesAnswered.Add(1, Udp);
            return cached.Length;
        }

        var message = DnsWire.TryParse(new ArraySegment<byte>(buffer, 0, received));
        if (message is null)
        {
            NameServerMetrics.QueriesDropped.Add(1, new KeyValuePair<string, object?>("reason", "malformed"));
            return 0;
        }

        var response = ZoneAnswerer.Answer(message, zones);
        if (response is null)
        {
            NameServerMetrics.QueriesDropped.Add(1, new KeyValuePair<string, object?>("reason", "response"));
            return 0;
        }

        var bytes = DnsWire.Encode(response, ZoneAnswerer.UdpLimit(message));
        zones.Cache.Add(query, bytes);
        bytes.CopyTo(output, 0);
        NameServerMetrics.QueriesAnswered.Add(1, Udp);
        return bytes.Length;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopping = true;
        _socket.Dispose();
        foreach (var thread in _threads) thread.Join(TimeSpan.FromSeconds(2));
    }
}
