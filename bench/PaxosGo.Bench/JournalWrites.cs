using System.Collections.Immutable;
using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using PaxosGo.Core;
using PaxosGo.Core.Journal;
using PaxosGo.Orleans.Storage;

namespace PaxosGo.Bench;

/// <summary>
/// The latency of one journal write and what it costs the storage, through the product's journals
/// (<see cref="AzureTableNodeLog"/>, <see cref="AzureAppendBlobNodeLog"/>): each writer is one node's
/// journal with one write in flight, as an acceptor's group commit is; each write holds one vote of
/// the given size in the next slot (the votes below it truncated, as acceptors do behind learners).
/// </summary>
internal static class JournalWrites
{
    public static async Task<object> RunAsync(string connectionString, JournalStorage kind, int writers, int bytes, TimeSpan warmup, TimeSpan measured, ProcessCpu cpu)
    {
        string container = "journalbench" + Guid.NewGuid().ToString("N")[..8];
        var blobs = new BlobServiceClient(connectionString).GetBlobContainerClient(container);
        var table = new TableClient(connectionString, AzureTableNodeLog.TableNameFor(container));
        var logs = Enumerable.Range(0, writers).Select(i => (GroupCommitNodeLog)(kind == JournalStorage.Table
            ? new AzureTableNodeLog(table, blobs, $"writer-{i}", NullLogger<AzureTableNodeLog>.Instance)
            : new AzureAppendBlobNodeLog(blobs, $"writer-{i}", NullLogger<AzureAppendBlobNodeLog>.Instance))).ToList();
        try
        {
            foreach (var log in logs) await log.LoadAsync("bench");
            var latencies = new List<double>[writers];
            var stop = Stopwatch.StartNew();
            var start = warmup;
            var end = warmup + measured;
            Dictionary<string, double>? cpuBefore = null;
            var gate = new object();
            await Task.WhenAll(logs.Select(async (log, w) =>
            {
                var mine = latencies[w] = new List<double>();
                var state = AcceptorState.Initial;
                for (ulong slot = 0; stop.Elapsed < end; slot++)
                {
                    var vote = new AcceptedEntry(slot, new Ballot(1, new NodeId(0)), Value.Batch([new Command("bench", slot + 1, new byte[bytes])]));
                    var next = new AcceptorState(new Ballot(1, new NodeId(0)), slot, ImmutableSortedDictionary<ulong, AcceptedEntry>.Empty.Add(slot, vote));
                    long t = Stopwatch.GetTimestamp();
                    await log.AppendAsync(NodeJournal.Change("bench", state, next), null);
                    double ms = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    state = next;
                    if (stop.Elapsed < start) continue;
                    lock (gate) cpuBefore ??= cpu.Sample();
                    mine.Add(ms);
                }
            }));
            var cores = ProcessCpu.Cores(cpuBefore ?? cpu.Sample(), cpu.Sample(), measured.TotalSeconds);
            var all = latencies.SelectMany(l => l).Order().ToArray();
            double Percentile(double p) => all.Length == 0 ? 0 : Math.Round(all[Math.Min(all.Length - 1, (int)(p * all.Length))], 2);
            double perSecond = all.Length / measured.TotalSeconds;
            return new
            {
                bench = "journal",
                journal = kind.ToString(),
                writers,
                bytes,
                seconds = measured.TotalSeconds,
                writes = all.Length,
                writes_per_second = Math.Round(perSecond),
                p50_ms = Percentile(0.50),
                p90_ms = Percentile(0.90),
                p99_ms = Percentile(0.99),
                cpu_cores = cores,
                storage_cpu_ms_per_write = cores.TryGetValue("azurite", out double storageCores) && perSecond > 0 ? Math.Round(storageCores * 1000 / perSecond, 3) : (double?)null,
            };
        }
        finally
        {
            foreach (var log in logs) log.Dispose();
            await blobs.DeleteIfExistsAsync();
            await table.DeleteAsync();
        }
    }
}
