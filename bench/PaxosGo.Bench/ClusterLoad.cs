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
        string storage, string clusterId, string serviceId, IReadOnlyList<string> applications, string adminKeyFile, string meshFile, int clients, TimeSpan warmup, TimeSpan duration, bool sessions, ProcessCpu cpu, long commands = 0)
    {
        using var adminKey = NodeKey.Load(adminKeyFile);
        var mesh = Mesh.Load(meshFile);
        var keys = Enumerable.Range(0, clients).Select(_ => NodeKey.Generate()).ToArray();
        try
        {
            return await RunAsync(storage, clusterId, serviceId, applications, adminKey, mesh, keys, warmup, duration, sessions, cpu, commands);
        }
        finally
        {
            foreach (var key in keys) key.Dispose();
        }
    }

    private static async Task<object> RunAsync(
        string storage, string clusterId, string serviceId, IReadOnlyList<string> applications, NodeKey adminKey, Mesh mesh, NodeKey[] keys, TimeSpan warmup, TimeSpan duration, bool sessions, ProcessCpu cpu, long commands)
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
        // Load client c works on application c mod the number of applications.
        string ApplicationOf(int c) => applications[c % applications.Count];

        // Register every load client in its application. The administrator's request ids must increase:
        // the Unix time in microseconds, and at least one more than the previous one.
        var admin = CommandSigner.ForAdministrator(adminKey);
        ulong adminRequest = 0;
        for (int c = 0; c < clients; c++)
        {
            ulong now = (ulong)((DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
            adminRequest = Math.Max(now, adminRequest + 1);
            var key = keys[c];
            await RegisterAsync(grains.GetGrain<IApplicationGrain>(ApplicationOf(c)), admin.Registration(ApplicationOf(c), adminRequest, register: true, key.NodeId, key.PublicKey));
        }

        // The node that answered each application's last reply as its leader (the reply's hint, or the node itself).
        var leaders = new string?[clients];

        long measuring = 0, stopping = 0, errors = 0, committed = 0;
        // With a command count: when the first and the last tenth of the measured commands began and ended.
        long tenth = Math.Max(1, commands / 10);
        long firstTenthDone = 0, lastTenthStart = 0, allDone = 0;
        CommandRejectedException? rejected = null;
        var latencies = new List<double>[clients];
        var seen = new HashSet<ulong>[clients];
        var workers = Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = new List<double>();
            seen[c] = new HashSet<ulong>();
            ulong lastState = 0;
            using var client = new PaxosGoClient(grains, ApplicationOf(c), new CommandSigner(keys[c]), firstRequestId: 1, new PaxosGoClientOptions { UseSessions = sessions });
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
                    leaders[c] = reply.Leader ?? reply.Node;
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

                if (Interlocked.Read(ref measuring) != 1) continue;
                latencies[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                if (commands > 0)
                {
                    long n = Interlocked.Increment(ref committed);
                    if (n == tenth) Interlocked.Exchange(ref firstTenthDone, Stopwatch.GetTimestamp());
                    if (n == commands - tenth) Interlocked.Exchange(ref lastTenthStart, Stopwatch.GetTimestamp());
                    if (n == commands)
                    {
                        Interlocked.Exchange(ref allDone, Stopwatch.GetTimestamp());
                        Interlocked.Exchange(ref stopping, 1);
                    }
                }
            }
        }).ToArray();

        await Task.Delay(warmup);
        var storageBefore = await StorageUse.MeasureAsync(storage);
        var countersBefore = await NodeCounters.ReadAsync(mesh);
        var cpuBefore = cpu.Sample();
        long measureStart = Stopwatch.GetTimestamp();
        Interlocked.Exchange(ref measuring, 1);
        var clock = Stopwatch.StartNew();
        if (commands > 0)
        {
            // Until the count is reached (or every worker gave up).
            var working = Task.WhenAll(workers);
            while (Interlocked.Read(ref allDone) == 0 && !working.IsCompleted) await Task.WhenAny(working, Task.Delay(100));
        }
        else
        {
            await Task.Delay(duration);
        }

        Interlocked.Exchange(ref measuring, 0);
        double seconds = clock.Elapsed.TotalSeconds;
        var cores = ProcessCpu.Cores(cpuBefore, cpu.Sample(), seconds);
        var resident = cpu.ResidentMegabytes();
        var countersAfter = await NodeCounters.ReadAsync(mesh);
        Interlocked.Exchange(ref stopping, 1);
        await Task.WhenAll(workers);
        await host.StopAsync();
        if (rejected is not null)
        {
            throw new InvalidOperationException($"a load command was rejected ({rejected.Code}): {rejected.Message}", rejected);
        }

        var storageAfter = await StorageUse.MeasureAsync(storage);
        var all = latencies.SelectMany(l => l).OrderBy(x => x).ToArray();
        double Rate(long from, long to) => from == 0 || to <= from ? 0 : Math.Round(tenth / Stopwatch.GetElapsedTime(from, to).TotalSeconds);
        double P(double q) => all.Length == 0 ? 0 : Math.Round(all[Math.Min(all.Length - 1, (int)(q * all.Length))], 2);
        return new
        {
            bench = "cluster",
            application = applications.Count == 1 ? applications[0] : null,
            applications = applications.Count,
            leaders = Enumerable.Range(0, Math.Min(clients, applications.Count)).GroupBy(c => leaders[c] ?? "?")
                .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()),
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
            resident_mb = resident,
            first_tenth_ops_per_second = commands > 0 ? Rate(measureStart, Interlocked.Read(ref firstTenthDone)) : (double?)null,
            last_tenth_ops_per_second = commands > 0 ? Rate(Interlocked.Read(ref lastTenthStart), Interlocked.Read(ref allDone)) : (double?)null,
            storage_bytes_before = storageBefore,
            storage_bytes_after = storageAfter,
            costs = NodeCounters.Costs(countersBefore, countersAfter, all.Length),
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
