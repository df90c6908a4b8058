using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PaxosGo.Orleans.Tests.Infrastructure;

/// <summary>
/// Listens to the <c>PaxosGo</c> meter of every silo in this process (TestCluster silos run in the
/// test process) and counts each counter by its tag value: what the silos refused and why, as they
/// report it. Cluster tests run one at a time (one collection), so the counts are theirs.
/// </summary>
internal sealed class PaxosGoMeter : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<(string Instrument, string? Tag), long> _counts = new();

    public PaxosGoMeter()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "PaxosGo") listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? tag = null;
            foreach (var t in tags) tag = t.Value?.ToString();
            _counts.AddOrUpdate((instrument.Name, tag), value, (_, v) => v + value);
        });
        _listener.Start();
    }

    /// <summary>How much <paramref name="instrument"/> counted with tag value <paramref name="tag"/> since this listener started.</summary>
    public long Count(string instrument, string? tag) => _counts.TryGetValue((instrument, tag), out var n) ? n : 0;

    /// <summary>Waits until <paramref name="instrument"/> has counted at least <paramref name="atLeast"/> with <paramref name="tag"/>; returns the count.</summary>
    public async Task<long> WaitForAsync(string instrument, string? tag, long atLeast, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (Count(instrument, tag) < atLeast && DateTime.UtcNow < deadline) await Task.Delay(50);
        return Count(instrument, tag);
    }

    public void Dispose() => _listener.Dispose();
}
