using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using PaxosGo.NameServer.Zones;

namespace PaxosGo.NameServer.Dns;

/// <summary>
/// The DNS front end over UDP: one socket, and threads (one per core by default) blocked in
/// <c>ReceiveFrom</c> on it, each answering on its own (no allocation and no task per query on the
/// cached path). A datagram that is not a query (garbage, a response, too short or too long) is
/// dropped and counted: nothing it holds can stop the loop, which keeps answering others.
/// </summary>
/// <remarks>
/// One socket per thread (<c>SO_REUSEPORT</c>) was measured and not kept: no faster, and a worse tail
/// (the kernel hashes clients to sockets unevenly); see docs/benchmarks.md.
/// </remarks>
internal sealed class UdpFrontEnd : IDisposable
{
    private static readonly KeyValuePair<string, object?> Udp = new("transport", "udp");
    private readonly Socket _socket;
    private readonly int _threads;
    private readonly Func<ZoneSet> _zones;
    private readonly ILogger _logger;
    private readonly List<Thread> _running = new();
    private volatile bool _stopping;

    /// <summary>Binds <paramref name="endpoint"/> for <paramref name="threads"/> threads (throws <see cref="SocketException"/> when it is taken).</summary>
    public UdpFrontEnd(IPEndPoint endpoint, Func<ZoneSet> zones, ILogger logger, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _zones = zones;
        _logger = logger;
        _threads = threads;
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

    /// <summary>Starts the receiving threads.</summary>
    public void Start()
    {
        for (int i = 0; i < _threads; i++)
        {
            var thread = new Thread(Serve) { IsBackground = true, Name = $"dns-udp-{i}" };
            _running.Add(thread);
            thread.Start();
        }
    }

    private void Serve()
    {
        var buffer = new byte[65536];
        var output = new byte[65536];
        // The sender's address in place: no allocation per datagram on the cached path.
        var remote = new SocketAddress(LocalEndPoint.AddressFamily);
        long answered = 0;
        while (!_stopping)
        {
            int received;
            try
            {
                received = _socket.ReceiveFrom(buffer, SocketFlags.None, remote);
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException) when (!_stopping)
            {
                Flush(ref answered); // idle (the receive timed out) or an ICMP error for an earlier answer
                continue;
            }
            catch (SocketException)
            {
                break;
            }

            try
            {
                int length = Answer(buffer, received, output);
                if (length > 0)
                {
                    _socket.SendTo(output.AsSpan(0, length), SocketFlags.None, remote);
                    if (++answered == 1024) Flush(ref answered);
                }
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
                Log.QueryFailed(_logger, e, remote.ToString());
            }
        }

        Flush(ref answered);
    }

    /// <summary>Adds this thread's answers since the last flush to the counter (in batches: one counter update per 1,024 answers, and when idle).</summary>
    private static void Flush(ref long answered)
    {
        if (answered == 0) return;
        NameServerMetrics.QueriesAnswered.Add(answered, Udp);
        answered = 0;
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
        return bytes.Length;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stopping = true;
        _socket.Dispose();
        foreach (var thread in _running) thread.Join(TimeSpan.FromSeconds(2));
    }
}
