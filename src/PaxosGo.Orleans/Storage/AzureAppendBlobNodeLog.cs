using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;
using PaxosGo.Core.Journal;
using PaxosGo.Core.Journal.Records;

namespace PaxosGo.Orleans.Storage;

/// <summary>
/// One node's journal (<see cref="NodeJournal"/>) on Azure Blob Storage: what the node's acceptors
/// and proposers make durable, for every application, in one append blob, with checkpoints in block
/// blobs. Every append is one group commit (<see cref="GroupCommitNodeLog"/>): one <c>AppendBlock</c>.
/// </summary>
/// <remarks>
/// <para>Layout in the container: <c>nodes/{node}/log</c> (append blob; its metadata names the
/// checkpoint it continues) and <c>nodes/{node}/checkpoints/{sequence}</c> (block blobs, written once).</para>
/// <para>Every append is conditioned on the log blob's ETag as this process last saw it (and on the
/// append position): if anything else wrote the log (another process for the same node, or an
/// earlier attempt of this very append that a retry repeated), the append fails, every waiting caller
/// fails, and the journal is read again from storage before the next append. The grains whose step
/// failed deactivate and reload, so no process ever acts on a state storage does not hold.</para>
/// <para>After a number of batches (<see cref="DefaultCheckpointEvery"/>) or log bytes, the whole state
/// goes to a new checkpoint blob and the log blob is created anew, empty, naming it (conditioned on
/// its ETag); older checkpoints are then deleted beside the appends that follow. Storage is therefore
/// bounded by the state, not by the history. Recovery reads the checkpoint and replays the log; a torn
/// last frame (a crash in the middle of an append) is dropped, and the log is rolled at once so nothing
/// is appended after it.</para>
/// </remarks>
public sealed class AzureAppendBlobNodeLog : GroupCommitNodeLog
{
    /// <summary>Default batches between checkpoints (far below an append blob's 50,000 blocks, and a short recovery read).</summary>
    public const int DefaultCheckpointEvery = 2_000;

    /// <summary>Default log bytes that force a checkpoint.</summary>
    public const long DefaultMaxLogBytes = 32L * 1024 * 1024;

    private const string CheckpointMetadata = "checkpoint";

    private readonly BlobContainerClient _container;
    private readonly AppendBlobClient _log;
    private readonly string _prefix;
    private readonly long _maxLogBytes;
    private ETag _etag;
    private long _length;
    private string? _checkpoint;
    private bool _containerReady;

    /// <summary>The journal of node <paramref name="node"/> in <paramref name="container"/>.</summary>
    /// <param name="container">The deployment's container (created when missing).</param>
    /// <param name="node">The node's name.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="checkpointEvery">Batches between checkpoints.</param>
    /// <param name="maxLogBytes">Log bytes that force a checkpoint.</param>
    public AzureAppendBlobNodeLog(BlobContainerClient container, string node, ILogger<AzureAppendBlobNodeLog> logger, int checkpointEvery = DefaultCheckpointEvery, long maxLogBytes = DefaultMaxLogBytes)
        : base($"nodes/{node}/", logger, checkpointEvery)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLogBytes, 1);
        ArgumentNullException.ThrowIfNull(container);
        _maxLogBytes = maxLogBytes;
        _container = container;
        _prefix = $"nodes/{node}/";
        _log = container.GetAppendBlobClient(_prefix + "log");
    }

    /// <inheritdoc />
    protected override async Task WriteAsync(NodeJournal journal, Batch batch, byte[] frame)
    {
        using (var content = new MemoryStream(frame, writable: false))
        {
            var response = await _log.AppendBlockAsync(content, new AppendBlobAppendBlockOptions
            {
                Conditions = new AppendBlobRequestConditions { IfMatch = _etag, IfAppendPositionEqual = _length },
            }).ConfigureAwait(false);
            _etag = response.Value.ETag;
        }

        _length += frame.Length;
    }

    /// <inheritdoc />
    protected override bool CheckpointDue(NodeJournal journal) => _length >= _maxLogBytes;

    /// <summary>Writes the whole state to a new checkpoint, starts the log over after it, and deletes older checkpoints.</summary>
    protected override async Task CheckpointAsync(NodeJournal journal, CancellationToken cancellation)
    {
        var (name, bytes) = await CheckpointBlob.WriteAsync(_container, _prefix, journal, cancellation).ConfigureAwait(false);

        var created = await _log.CreateAsync(new AppendBlobCreateOptions
        {
            Metadata = new Dictionary<string, string> { [CheckpointMetadata] = name },
            Conditions = new AppendBlobRequestConditions { IfMatch = _etag },
        }, cancellation).ConfigureAwait(false);
        _etag = created.Value.ETag;
        _length = 0;
        _checkpoint = name;
        Metrics.StorageRequests.Add(2, new KeyValuePair<string, object?>("kind", "checkpoint"));
        Log.Checkpointed(Logger, _prefix, journal.Sequence, bytes);
        Compact(name, () => DeleteOldCheckpointsAsync(name));
    }

    // Checkpoints older than the one the log now names (the one before, and any a failed deletion
    // left); a newer one may already exist when this runs, and stays.
    private async Task DeleteOldCheckpointsAsync(string keep)
    {
        await foreach (var blob in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, _prefix + "checkpoints/", CancellationToken.None).ConfigureAwait(false))
        {
            if (string.CompareOrdinal(blob.Name, keep) < 0) await _container.DeleteBlobIfExistsAsync(blob.Name).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task<NodeJournal> ReadAsync(CancellationToken cancellation)
    {
        if (!_containerReady)
        {
            await _container.CreateIfNotExistsAsync(cancellationToken: cancellation).ConfigureAwait(false);
            _containerReady = true;
        }

        while (true)
        {
            BlobProperties properties;
            try
            {
                properties = (await _log.GetPropertiesAsync(cancellationToken: cancellation).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                try
                {
                    var created = await _log.CreateAsync(new AppendBlobCreateOptions { Conditions = new AppendBlobRequestConditions { IfNoneMatch = ETag.All } }, cancellation).ConfigureAwait(false);
                    _etag = created.Value.ETag;
                    _length = 0;
                    _checkpoint = null;
                    return new NodeJournal();
                }
                catch (RequestFailedException raced) when (raced.Status is 409 or 412)
                {
                    continue; // someone created it meanwhile: read that
                }
            }

            try
            {
                _checkpoint = properties.Metadata.TryGetValue(CheckpointMetadata, out var name) ? name : null;
                var journal = _checkpoint is null
                    ? new NodeJournal()
                    : NodeJournal.FromCheckpoint((await _container.GetBlobClient(_checkpoint).DownloadContentAsync(cancellation).ConfigureAwait(false)).Value.Content.ToMemory().Span);
                var log = await _log.DownloadContentAsync(new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfMatch = properties.ETag } }, cancellation).ConfigureAwait(false);
                byte[] bytes = log.Value.Content.ToArray();
                int valid = journal.Replay(bytes);
                _etag = properties.ETag;
                _length = bytes.Length;
                Log.Recovered(Logger, _prefix, journal.Sequence, bytes.Length, _checkpoint ?? "(none)");
                if (valid < bytes.Length)
                {
                    // A torn last append: never write after it. Start the log over from a checkpoint.
                    Log.TornTail(Logger, _prefix, bytes.Length - valid);
                    Metrics.TornTails.Add(1);
                    await CheckpointAsync(journal, cancellation).ConfigureAwait(false);
                }

                return journal;
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                continue; // the log was rolled while we read it: read again
            }
        }
    }
}
