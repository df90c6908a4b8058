using System.Security.Cryptography;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace PaxosGo.NameServer.Storage;

/// <summary>
/// Zone files in Azure Blob storage under their content key: blob <c>sha256/{hex}</c> holds the file
/// whose SHA-256 is <c>hex</c>. Uploaded before the put command that names the hash is proposed;
/// never overwritten (a second upload of the same content changes nothing). Readers rehash what they
/// read: storage is not trusted to return what was written.
/// </summary>
public sealed class ZoneFileStore
{
    /// <summary>The default container.</summary>
    public const string DefaultContainer = "paxosgo-zones";

    /// <summary>The largest zone file stored or read (1 MiB).</summary>
    public const int MaxZoneFileBytes = 1024 * 1024;

    private readonly BlobContainerClient _container;
    private int _created;

    /// <summary>A store on <paramref name="container"/> (created on first upload).</summary>
    public ZoneFileStore(BlobContainerClient container)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
    }

    /// <summary>The blob name of the file whose SHA-256 is <paramref name="hash"/>.</summary>
    public static string BlobNameOf(ReadOnlySpan<byte> hash) => "sha256/" + Convert.ToHexStringLower(hash);

    /// <summary>Stores <paramref name="content"/> under its hash (nothing happens when it is already there) and returns the hash.</summary>
    /// <exception cref="ArgumentException">The file is empty or larger than <see cref="MaxZoneFileBytes"/>.</exception>
    public async Task<byte[]> PutAsync(byte[] content, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Length is 0 or > MaxZoneFileBytes)
        {
            throw new ArgumentException($"A zone file must be 1 to {MaxZoneFileBytes} bytes, not {content.Length}.", nameof(content));
        }

        byte[] hash = SHA256.HashData(content);
        if (Interlocked.Exchange(ref _created, 1) == 0) await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        try
        {
            await _container.GetBlobClient(BlobNameOf(hash)).UploadAsync(
                new BinaryData(content),
                new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } },
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Already stored: content-addressed, so it is the same file (readers rehash it anyway).
        }

        return hash;
    }

    /// <summary>
    /// The stored bytes under <paramref name="hash"/>, not checked against it (the caller rehashes),
    /// or null when no such blob exists.
    /// </summary>
    /// <exception cref="InvalidDataException">The blob is larger than <see cref="MaxZoneFileBytes"/>.</exception>
    public async Task<byte[]?> GetAsync(byte[] hash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(hash);
        var blob = _container.GetBlobClient(BlobNameOf(hash));
        try
        {
            var download = await blob.DownloadContentAsync(
                new BlobDownloadOptions { Range = new HttpRange(0, MaxZoneFileBytes + 1) }, cancellationToken);
            var bytes = download.Value.Content.ToArray();
            if (bytes.Length > MaxZoneFileBytes)
            {
                throw new InvalidDataException($"The stored zone file {Convert.ToHexStringLower(hash)} is larger than {MaxZoneFileBytes} bytes.");
            }

            return bytes;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        catch (RequestFailedException e) when (e.Status == 416)
        {
            return Array.Empty<byte>(); // a range read of an empty blob: it exists, and holds nothing
        }
    }
}
