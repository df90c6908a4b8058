using System.Security.Cryptography;
using System.Text;
using ARSoft.Tools.Net;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using PaxosGo.NameServer.Storage;
using PaxosGo.NameServer.Zones;
using PaxosGo.Orleans.Applications;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Orleans.Tests.NameServer;

/// <summary>
/// A node's zone catalog against real blob storage (Azurite): it rehashes every file it loads, and a
/// file that does not hash to the replicated value (tampered after the put was checked) or has gone
/// is refused: the zone keeps its last good version, the refusal is logged and counted once and
/// shown in the zone's status, and the file is served once storage holds the right bytes again.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class ZoneCatalogStorageTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task ATamperedOrMissingFile_IsRefused_TheLastGoodVersionStaysServed_AndTheRefusalIsReportedOnce()
    {
        var container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("zones-" + Guid.NewGuid().ToString("N")[..12]);
        var store = new ZoneFileStore(container);
        var logs = new ListLogger();
        using var meter = new PaxosGoMeter();
        var catalog = new ZoneCatalog(new LocalReplicas(), store, "dns", TimeSpan.FromSeconds(1), logs);
        var apex = DomainName.Parse("example.com");

        byte[] v1 = Zone(1);
        byte[] h1 = await store.PutAsync(v1);
        Assert.False(await catalog.ReconcileAsync([KeyValuePair.Create("example.com.", h1)], default));
        Assert.Equal(1u, catalog.Current.Zones[apex].Serial);

        // v2 is put (and was checked at entry), then its blob is overwritten before this node loads it.
        byte[] v2 = Zone(2);
        byte[] h2 = await store.PutAsync(v2);
        await container.GetBlobClient(ZoneFileStore.BlobNameOf(h2)).UploadAsync(new BinaryData(Zone(666)), overwrite: true);
        var map = new[] { KeyValuePair.Create("example.com.", h2) };
        for (int attempt = 0; attempt < 3; attempt++)
        {
            Assert.True(await catalog.ReconcileAsync(map, default)); // still to load: retried later
            Assert.Equal(1u, catalog.Current.Zones[apex].Serial); // the last good version
        }

        var status = Assert.Single(catalog.Statuses);
        Assert.Equal(Convert.ToHexStringLower(h2), status.Hash);
        Assert.Equal(Convert.ToHexStringLower(h1), status.ServingHash);
        Assert.Equal(1u, status.Serial);
        Assert.Contains("does not hash", status.Error, StringComparison.Ordinal);
        Assert.Equal(1, logs.Count(LogLevel.Warning));
        Assert.Equal(1, meter.Count("paxosgo.dns.zone_files.refused", null));

        // A zone whose file has gone: refused, nothing served for it (it never loaded), reported once.
        byte[] other = SHA256.HashData("never stored"u8);
        var both = new[] { KeyValuePair.Create("example.com.", h2), KeyValuePair.Create("example.org.", other) };
        Assert.True(await catalog.ReconcileAsync(both, default));
        Assert.True(await catalog.ReconcileAsync(both, default));
        Assert.False(catalog.Current.Zones.ContainsKey(DomainName.Parse("example.org")));
        Assert.Contains("missing", catalog.Statuses.Single(s => s.Name == "example.org.").Error, StringComparison.Ordinal);
        Assert.Equal(2, logs.Count(LogLevel.Warning));
        Assert.Equal(2, meter.Count("paxosgo.dns.zone_files.refused", null));

        // An empty file (it hashes to SHA-256 of nothing) is read as empty and refused as no zone.
        byte[] empty = SHA256.HashData(Array.Empty<byte>());
        await container.GetBlobClient(ZoneFileStore.BlobNameOf(empty)).UploadAsync(new BinaryData(Array.Empty<byte>()), overwrite: true);
        Assert.True(await catalog.ReconcileAsync([KeyValuePair.Create("example.net.", empty)], default));
        Assert.Contains("no records", Assert.Single(catalog.Statuses).Error, StringComparison.Ordinal);

        // Storage holds the right bytes again: the next try serves v2; a zone gone from the map is dropped.
        await container.GetBlobClient(ZoneFileStore.BlobNameOf(h2)).UploadAsync(new BinaryData(v2), overwrite: true);
        Assert.False(await catalog.ReconcileAsync(map, default));
        Assert.Equal(2u, catalog.Current.Zones[apex].Serial);
        Assert.Null(Assert.Single(catalog.Statuses).Error);
        Assert.False(await catalog.ReconcileAsync([], default));
        Assert.Empty(catalog.Current.Zones);
    }

    private static byte[] Zone(uint serial) =>
        Encoding.UTF8.GetBytes($"@ IN SOA ns1.example.com. host.example.com. {serial} 3600 600 86400 300\n@ IN NS ns1.example.com.\nns1 IN A 192.0.2.1\n");

    private sealed class ListLogger : ILogger<ZoneCatalog>
    {
        private readonly List<LogLevel> _levels = new();

        public int Count(LogLevel level)
        {
            lock (_levels) return _levels.Count(l => l == level);
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_levels) _levels.Add(logLevel);
        }
    }
}
