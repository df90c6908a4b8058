using System.Security.Cryptography;
using ARSoft.Tools.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PaxosGo.NameServer.Storage;
using PaxosGo.Orleans.Applications;

namespace PaxosGo.NameServer.Zones;

/// <summary>
/// What this node serves: follows its replica of the zone map (<see cref="LocalReplicas"/>) and loads
/// each zone's file from blob storage, rehashing it. A file that is missing, does not hash to the
/// map's value, or is not a valid zone is refused: the node keeps serving the zone's last good file
/// (nothing, for a zone it never loaded), logs and counts the refusal once, shows it in
/// <see cref="Statuses"/> and tries again every <see cref="Hosting.NameServerOptions.RetryInterval"/>.
/// A change of the map is served as soon as this replica applies it and the file is read.
/// </summary>
public sealed class ZoneCatalog : BackgroundService
{
    private readonly LocalReplicas _replicas;
    private readonly ZoneFileStore _store;
    private readonly string _application;
    private readonly TimeSpan _retry;
    private readonly ILogger<ZoneCatalog> _logger;
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal); // refusals logged and counted once
    private readonly Dictionary<string, string> _verdicts = new(StringComparer.Ordinal); // file hash -> why it can never load (content-addressed: the verdict stands)
    private ulong _servedNextSlot; // the replica version the served zones come from
    private ZoneSet _current = ZoneSet.Empty;
    private IReadOnlyList<ZoneStatus> _statuses = Array.Empty<ZoneStatus>();

    /// <summary>A catalog of <paramref name="application"/>'s zones, files from <paramref name="store"/>.</summary>
    public ZoneCatalog(LocalReplicas replicas, ZoneFileStore store, string application, TimeSpan retry, ILogger<ZoneCatalog> logger)
    {
        _replicas = replicas;
        _store = store;
        _application = application;
        _retry = retry;
        _logger = logger;
    }

    /// <summary>The zones served now.</summary>
    public ZoneSet Current => Volatile.Read(ref _current);

    /// <summary>Every zone of the replicated map, as this node holds it.</summary>
    public IReadOnlyList<ZoneStatus> Statuses => Volatile.Read(ref _statuses);

    /// <summary>The <c>state</c> of the replica the last reconciliation read, or null before the first.</summary>
    public ulong? ServedState => Volatile.Read(ref _servedState) is var s and >= 0 ? (ulong)s : null;

    private long _servedState = -1;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            ReplicaVersion version;
            KeyValuePair<string, byte[]>[] map;
            try
            {
                (version, map) = _replicas.Read<ZoneMapStateMachine, (ReplicaVersion, KeyValuePair<string, byte[]>[])>(
                    _application, static (machine, version) => (version, machine.Zones.ToArray()));
            }
            catch (ReplicaUnavailableException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), stoppingToken).ConfigureAwait(false);
                continue;
            }

            if (version.NextSlot < _servedNextSlot)
            {
                // A replica restarted from an older snapshot: keep serving the newer map until it catches up.
                await Task.WhenAny(_replicas.WaitForChangeAsync(_application, version.State, stoppingToken)).ConfigureAwait(false);
                continue;
            }

            bool pending;
            try
            {
                pending = await ReconcileAsync(map, stoppingToken).ConfigureAwait(false);
                Volatile.Write(ref _servedState, (long)version.State);
                _servedNextSlot = version.NextSlot;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                Log.CatalogFailed(_logger, e, _application);
                pending = true;
            }

            var change = _replicas.WaitForChangeAsync(_application, version.State, stoppingToken);
            if (pending)
            {
                await Task.WhenAny(change, Task.Delay(_retry, stoppingToken)).ConfigureAwait(false);
            }
            else
            {
                await Task.WhenAny(change).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Brings <see cref="Current"/> to <paramref name="map"/>; true when some file is still to be loaded.</summary>
    internal async Task<bool> ReconcileAsync(KeyValuePair<string, byte[]>[] map, CancellationToken cancellation)
    {
        var current = Current;
        var zones = new Dictionary<DomainName, LoadedZone>(current.Zones);
        var statuses = new List<ZoneStatus>(map.Length);
        bool changed = false, pending = false;
        var wanted = new HashSet<DomainName>();
        foreach (var (name, hash) in map)
        {
            var apex = DomainName.Parse(name);
            wanted.Add(apex);
            string hex = Convert.ToHexStringLower(hash);
            zones.TryGetValue(apex, out var serving);
            if (serving is null || !serving.Hash.AsSpan().SequenceEqual(hash))
            {
                var (loaded, error) = await LoadAsync(name, hash, cancellation).ConfigureAwait(false);
                if (loaded is not null)
                {
                    zones[apex] = serving = loaded;
                    changed = true;
                    NameServerMetrics.ZoneFilesLoaded.Add(1);
                    Log.ZoneLoaded(_logger, name, loaded.Serial, loaded.RecordCount, hex);
                }
                else
                {
                    pending = true;
                    if (_reported.Add($"{name} {hex} {error}"))
                    {
                        NameServerMetrics.ZoneFilesRefused.Add(1);
                        Log.ZoneRefused(_logger, name, hex, error!, serving is null ? "the zone is not served" : $"serving serial {serving.Serial} (file {Convert.ToHexStringLower(serving.Hash)}) until it loads");
                    }

                    statuses.Add(new ZoneStatus(name, hex, serving is null ? null : Convert.ToHexStringLower(serving.Hash), serving?.Serial, serving?.RecordCount, error));
                    continue;
                }
            }

            statuses.Add(new ZoneStatus(name, hex, hex, serving.Serial, serving.RecordCount, null));
        }

        foreach (var apex in zones.Keys.Where(z => !wanted.Contains(z)).ToList())
        {
            zones.Remove(apex);
            changed = true;
            Log.ZoneRemoved(_logger, apex);
        }

        if (changed) Volatile.Write(ref _current, new ZoneSet(zones.Values));
        Volatile.Write(ref _statuses, statuses);
        return pending;
    }

    private async Task<(LoadedZone? Zone, string? Error)> LoadAsync(string name, byte[] hash, CancellationToken cancellation)
    {
        if (_verdicts.TryGetValue($"{name} {Convert.ToHexStringLower(hash)}", out var verdict)) return (null, verdict);
        var (zone, error, final) = await TryLoadAsync(name, hash, cancellation).ConfigureAwait(false);
        if (final) _verdicts[$"{name} {Convert.ToHexStringLower(hash)}"] = error!;
        return (zone, error);
    }

    /// <summary>Reads, rehashes and checks a file; <c>Final</c> when the refusal can never change (an invalid file stays invalid).</summary>
    private async Task<(LoadedZone? Zone, string? Error, bool Final)> TryLoadAsync(string name, byte[] hash, CancellationToken cancellation)
    {
        byte[]? content;
        try
        {
            content = await _store.GetAsync(hash, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return (null, $"zone file could not be read: {e.GetType().Name}: {e.Message.Split('\n')[0]}", false);
        }

        // Missing or changed in storage: it may be put right (uploaded again), so it is tried again.
        if (content is null) return (null, "zone file missing from storage", false);
        if (!SHA256.HashData(content).AsSpan().SequenceEqual(hash))
        {
            return (null, "stored zone file does not hash to the replicated value (tampered or corrupted)", false);
        }

        // The right bytes, but not a valid zone: that never changes.
        var file = ZoneFile.Parse(name, content, out var error);
        return file is null ? (null, $"invalid zone file: {error}", true) : (new LoadedZone(file, hash), null, false);
    }
}
