using System.Buffers.Binary;
using System.Diagnostics;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using PaxosGo.Orleans.Grains;

namespace PaxosGo.Bench;

/// <summary>
/// Closed-loop load against a running cluster (for example deploy/local-cluster.sh): C clients, each
/// with one command in flight, through the Orleans gateways. Every reply's <c>state</c> is checked to
/// be unique and increasing per client.
/// </summary>
internal static class ClusterLoad
{
    public static async Task<object> RunAsync(string storage, string clusterId, string serviceId, string application, int clients, TimeSpan warmup, TimeSpan duration)
    {
        using var host = new HostBuilder()
            .UseOrleansClient(c => c
                .Configure<ClusterOptions>(o => { o.ClusterId = clusterId; o.ServiceId = serviceId; })
                .UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(storage)))
            .ConfigureLogging(l => l.SetMinimumLevel(LogLevel.Warning))
            .Build();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IClusterClient>();
        var app = grains.GetGrain<IApplicationGrain>(application);
        string run = DateTime.UtcNow.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture);

        long measuring = 0, stopping = 0, errors = 0;
        var latencies = new List<double>[clients];
        var seen = new HashSet<ulong>[clients];
        var workers = Enumerable.Range(0, clients).Select(async c =>
        {
            latencies[c] = new List<double>();
            seen[c] = new HashSet<ulong>();
            ulong request = 0, lastState = 0;
            var payload = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(payload, 1);
            while (Interlocked.Read(ref stopping) == 0)
            {
                var command = new ClientCommand($"bench-{run}-{c}", ++request, payload);
                long start = Stopwatch.GetTimestamp();
                while (true)
                {
                    try
                    {
                        var reply = await app.Submit(command);
                        if (reply.State <= lastState || !seen[c].Add(reply.State))
                        {
                            throw new InvalidOperationException($"client {c}: state {reply.State} after {lastState}");
                        }

                        lastState = reply.State;
                        break;
                    }
                    catch (Exception) when (Interlocked.Read(ref stopping) == 0)
                    {
                        Interlocked.Increment(ref errors); // retried with the same request id
                    }
                }

                if (Interlocked.Read(ref measuring) == 1) latencies[c].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }).ToArray();

        await Task.Delay(warmup);
        Interlocked.Exchange(ref measuring, 1);
        var clock = Stopwatch.StartNew();
        await Task.Delay(duration);
        Interlocked.Exchange(ref measuring, 0);
        double seconds = clock.Elapsed.TotalSeconds;
        Interlocked.Exchange(ref stopping, 1);
        await Task.WhenAll(workers);
        await host.StopAsync();

        var all = latencies.SelectMany(l => l).OrderBy(x => x).ToArray();
        double P(double q) => all.Length == 0 ? 0 : Math.Round(all[Math.Min(all.Length - 1, (int)(q * all.Length))], 2);
        return new
        {
            bench = "cluster",
            application,
            clients,
            seconds = Math.Round(seconds, 1),
            ops = all.Length,
            ops_per_second = Math.Round(all.Length / seconds),
            p50_ms = P(0.50),
            p90_ms = P(0.90),
            p99_ms = P(0.99),
            max_ms = all.Length == 0 ? 0 : Math.Round(all[^1], 2),
            errors,
        };
    }
}
