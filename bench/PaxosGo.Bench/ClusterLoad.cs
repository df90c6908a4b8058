using System.Buffers.Binary;
using System.Diagnostics;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using PaxosGo.Client;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Transport;

namespace PaxosGo.Bench;

/// <summary>
/// Closed-loop load against a running cluster (for example deploy/local-cluster.sh): C clients, each
/// with one command in flight, through the Orleans gateways. Each client has a fresh key, made in
/// memory and registered for the application with the administrator's key before the run. Each
/// client is a <c>PaxosGoClient</c>: with <c>--auth session</c> (default) it opens a session (one
/// signed handshake) and MACs every command; with <c>--auth signed</c> it signs every command. Every
/// reply's <c>state</c> is checked to be unique and increasing per client.
/// </summary>
internal static class ClusterLoad
{
    public static async Task<object> RunAsync(
        string storage, string clusterId, string serviceId, string application, string adminKeyFile, string meshFile, int clients, TimeSpan warmup, TimeSpan duration, bool sessions, ProcessCpu cpu)
    {
        using var adminKey = NodeKey.Load(adminKeyFile);
        var mesh = Mesh.Load(meshFile);
        var keys = Enumerable.Range(0, clients).Select(_ => NodeKey.Generate()).ToArray();
        try
        {
            return await RunAsync(storage, clusterId, serviceId, application, adminKey, mesh, keys, warmup, duration, sessions, cpu);
        }
        finally
        {
            foreach (var key in keys) key.Dispose();
        }
    }

    private static async Task<object> RunAsync(
        string storage, string clusterId, string serviceId, string application, NodeKey adminKey, Mesh mesh, NodeKey[] keys, TimeSpan warmup, TimeSpan duration, bool sessions, ProcessCpu cpu)
    {
        int clients = keys.Length;
        // One Orleans connection for the whole load, authenticated (TLS) as the administrator; every load
        // client authenticates its own commands with its own registered key.
        using var host = new HostBuilder()
            .UseOrleansClient(c => c
                .Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = serviceId; })
                .UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(storage))
                .UsePaxosGoTls(adminKey, mesh))
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .Build();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IClusterClient>();
        var app = grains.GetGrain<IApplicationGrain>(application);

        // Register every load client. The administrator's request ids must increase: the Unix time in
        // microseconds, and at least one more than the previous one.
        var admin = CommandSigner.ForAdministrator(adminKey);
        ulong adminRequest = 0;
        foreach (var key in keys)
        {
            ulong now = (ulong)((DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
            adminRequest = Math.Max(now, adminRequest + 1);
            await RegisterAsync(app, admin.Registration(application, adminRequest, register: true, key.NodeId, key.PublicKey));
        }

        long measuring = 0, stopping = 0, errors = 0;
        CommandRejectedException? rejected = null;
        var latencies = new List<double>[clients];
        var seen = new HashSet<ulong>[clients];
        var workers = Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = new List<double>();
            seen[c] = new HashSet<ulong>();
            ulong lastState = 0;
            using var client = new PaxosGoClient(grains, application, new CommandSigner(keys[c]), firstRequestId: 1, new PaxosGoClientOptions { UseSessions = sessions });
            var payload = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(payload, 1);
            while (Interlocked.Read(ref stopping) == 0)
            {
                long start = Stopwatch.GetTimestamp();
                try
                {
                    // The client retries the same request id on failures and timeouts.
                    var reply = await client.SubmitAsync(payload);
                    if (reply.State <= lastState || !seen[c].Add(reply.State))
                    {
                        throw new InvalidOperationException($"client {c}: state {reply.State} after {lastState}");
                    }

                    lastState = reply.State;
                }
                catch (CommandRejectedException e)
                {
                    // Retrying cannot help: stop the run and report it.
                    Interlocked.CompareExchange(ref rejected, e, null);
                    Interlocked.Exchange(ref stopping, 1);
                    return;
                }
                catch (TimeoutException)
                {
                    Interlocked.Increment(ref errors);
                    return;
                }

                if (Interlocked.Read(ref measuring) == 1) latencies[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }).ToArray();

        await Task.Delay(warmup);
        var cpuBefore = cpu.Sample();
        Interlocked.Exchange(ref measuring, 1);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        Interlocked.Exchange(ref measuring, 0);
        double seconds = clock.Elapsed.TotalSeconds;
        var cores = ProcessCpu.Cores(cpuBefore, cpu.Sample(), seconds);
        Interlocked.Exchange(ref stopping, 1);
        await Task.WhenAll(workers);
        await host.StopAsync();
        if (rejected is not null)
        {
            throw new InvalidOperationException($"a load command was rejected ({rejected.Code}): {rejected.Message}", rejected);
        }

        var all = latencies.SelectMany(l => l).OrderBy(x => x).ToArray();
        double P(double q) => all.Length == 0 ? 0 : Math.Round(all[Math.Min(all.Length - 1, (int)(q * all.Length))], 2);
        return new
        {
            bench = "cluster",
            application,
            auth = sessions ? "session" : "signed",
            clients,
            seconds = Math.Round(seconds, 1),
            ops = all.Length,
            ops_per_second = Math.Round(all.Length / seconds),
            p50_ms = P(0.50),
            p90_ms = P(0.90),
            p99_ms = P(0.99),
            max_ms = all.Length == 0 ? 0 : Math.Round(all[^1], 2),
            errors,
            cpu_cores = cores,
            cpu_ms_per_command = all.Length == 0 ? 0 : Math.Round(cores.Values.Sum() * seconds * 1000 / all.Length, 3),
        };
    }

    /// <summary>Submits a registration, retrying it (same request id) on transient errors; a rejection ends the run.</summary>
    private static async Task RegisterAsync(IApplicationGrain app, SignedCommand registration)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await app.Submit(registration);
                return;
            }
            catch (CommandRejectedException e)
            {
                throw new InvalidOperationException($"registering a load client was rejected ({e.Code}): {e.Message}", e);
            }
            catch (Exception) when (attempt < 20)
            {
                await Task.Delay(250);
            }
        }
    }
}
