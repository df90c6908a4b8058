using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace PaxosGo.Orleans;

/// <summary>
/// Running totals of this process's PaxosGo counters (meter <c>PaxosGo</c>), by instrument and tags,
/// served by the read API's <c>GET /metrics</c>. A benchmark reads them on every node before and
/// after a run and divides: storage requests per committed slot, signature checks per command.
/// </summary>
/// <remarks>
/// A deployment runs one node per process, so these are the node's. In-process test clusters share
/// one set. Measurements are keyed by their first two tags (no PaxosGo counter has more).
/// </remarks>
public sealed class MetricTotals : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Key, StrongBox<long>> _totals = new();

    /// <summary>Starts counting (totals begin at zero).</summary>
    public MetricTotals()
    {
        _listener.InstrumentPublished = static (instrument, listener) =>
        {
            if (instrument.Meter.Name == Metrics.MeterName && instrument is Counter<long>) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        _listener.Start();
    }

    /// <summary>Every total so far: instrument name, then its tags (<c>name=value</c>, comma-separated; empty without tags), then the total.</summary>
    public SortedDictionary<string, SortedDictionary<string, long>> Snapshot()
    {
        var snapshot = new SortedDictionary<string, SortedDictionary<string, long>>(StringComparer.Ordinal);
        foreach (var (key, total) in _totals)
        {
            if (!snapshot.TryGetValue(key.Instrument, out var byTags))
            {
                byTags = new SortedDictionary<string, long>(StringComparer.Ordinal);
                snapshot.Add(key.Instrument, byTags);
            }

            string tags = string.Join(",", new[] { (key.Tag1, key.Value1), (key.Tag2, key.Value2) }
                .Where(t => t.Item1 is not null)
                .Select(t => $"{t.Item1}={Convert.ToString(t.Item2, CultureInfo.InvariantCulture)}"));
            byTags[tags] = byTags.GetValueOrDefault(tags) + Interlocked.Read(ref total.Value);
        }

        return snapshot;
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        var key = new Key(
            instrument.Name,
            tags.Length > 0 ? tags[0].Key : null,
            tags.Length > 0 ? tags[0].Value : null,
            tags.Length > 1 ? tags[1].Key : null,
            tags.Length > 1 ? tags[1].Value : null);
        Interlocked.Add(ref _totals.GetOrAdd(key, static _ => new StrongBox<long>()).Value, value);
    }

    private readonly record struct Key(string Instrument, string? Tag1, object? Value1, string? Tag2, object? Value2);
}
