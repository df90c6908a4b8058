using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using PaxosGo.Core.Journal;
using PaxosGo.Core.Journal.Records;

namespace PaxosGo.Orleans.Storage;

/// <summary>
/// One node's journal (<see cref="NodeJournal"/>) on Azure Table storage: every group commit
/// (<see cref="GroupCommitNodeLog"/>) is one entity-group transaction that inserts the batch as an
/// entity and moves the node's head entity on, conditioned on the head's ETag. Checkpoints are block
/// blobs, as for <see cref="AzureAppendBlobNodeLog"/>.
/// </summary>
/// <remarks>
/// <para>Layout: in the deployment's journal table (<see cref="TableNameFor"/>), partition = the
/// node's name; row <c>head</c> holds the last batch's sequence and the checkpoint the batches
/// continue (blob name and sequence); row <c>b{sequence:D20}</c> holds one batch's frame, inline
/// when it fits one binary property (<see cref="MaxInlineFrameBytes"/>), else in the block blob
/// <c>nodes/{node}/frames/{sequence:D20}</c> (uploaded before the transaction, which alone
/// commits it). Checkpoints: <c>nodes/{node}/checkpoints/{sequence:D20}</c> in the container.</para>
/// <para>The transaction is atomic: the batch row exists if and only if the head names it, so there is
/// no torn write to drop. The head's ETag fences writers: if anything else moved the head (another
/// process for the same node, a checkpoint, an earlier attempt of this very write that a retry
/// repeated), the transaction fails, every waiting caller fails, and the journal is read again. A
/// writer that missed a checkpoint therefore cannot slip a batch under it into rows the checkpoint
/// already deleted.</para>
/// <para>After a number of batches the whole state goes to a new checkpoint blob and the head is moved
/// to name it (conditioned on its ETag). The rows it covers then go with the writes that follow, two
/// deletions in each write's transaction (so about half a checkpoint interval later they are all
/// gone), and its frame blobs and older checkpoints are deleted beside those writes
/// (<see cref="GroupCommitNodeLog.Compaction"/>). No burst of deletions holds a write up, and storage
/// is bounded by the state, not the history.</para>
/// <para>Why a table: on Azurite, the local emulator every test and the local cluster run on, this
/// transaction costs about half the CPU and latency of an append-blob append (docs/benchmarks.md); on
/// Azure Storage both are durable when acknowledged.</para>
/// </remarks>
public sealed class AzureTableNodeLog : GroupCommitNodeLog
{
    /// <summary>Default batches between checkpoints (a short recovery read: one query page per 1,000 rows).</summary>
    public const int DefaultCheckpointEvery = 2_000;

    /// <summary>The largest frame kept inline in its row (a binary property holds at most 64 KiB).</summary>
    public const int MaxInlineFrameBytes = 64 * 1024;

    private const string HeadRow = "head";
    private const string BatchRowPrefix = "b";
    private const string SequenceProperty = "Sequence";
    private const string CheckpointProperty = "Checkpoint";
    private const string CheckpointSequenceProperty = "CheckpointSequence";
    private const string FrameProperty = "Frame";
    private const string FrameBlobProperty = "FrameBlob";
    private const int RowsDeletedPerWrite = 2;

    private readonly TableClient _table;
    private readonly BlobContainerClient _container;
    private readonly string _node;
    private readonly string _prefix;
    private ETag _headEtag;
    private string _checkpoint = "";
    private ulong _checkpointSequence;
    private ulong _oldestRow = 1; // batch rows exist for every sequence from here through the head's
    private bool _ready;

    /// <summary>The journal of node <paramref name="node"/>: rows in <paramref name="table"/>, checkpoints and large frames in <paramref name="container"/>.</summary>
    /// <param name="table">The deployment's journal table (created when missing).</param>
    /// <param name="container">The deployment's container (created when missing).</param>
    /// <param name="node">The node's name.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="checkpointEvery">Batches between checkpoints.</param>
    public AzureTableNodeLog(TableClient table, BlobContainerClient container, string node, ILogger<AzureTableNodeLog> logger, int checkpointEvery = DefaultCheckpointEvery)
        : base($"table {table?.Name}/{node}", logger, checkpointEvery)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(container);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        _table = table;
        _container = container;
        _node = node;
        _prefix = $"nodes/{node}/";
    }

    /// <summary>
    /// The journal table of the deployment whose blob container is <paramref name="container"/>: table
    /// names are letters and digits only, so the container's other characters are dropped.
    /// </summary>
    public static string TableNameFor(string container)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(container);
        string name = "journal" + new string(container.Where(char.IsAsciiLetterOrDigit).ToArray());
        return name.Length <= 63 ? name : name[..63];
    }

    private static string BatchRow(ulong sequence) => BatchRowPrefix + sequence.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);

    private string FrameBlob(ulong sequence) => $"{_prefix}frames/{sequence:D20}";

    /// <inheritdoc />
    protected override async Task WriteAsync(NodeJournal journal, Batch batch, byte[] frame)
    {
        var row = new TableEntity(_node, BatchRow(batch.Sequence));
        if (frame.Length <= MaxInlineFrameBytes)
        {
            row[FrameProperty] = frame;
        }
        else
        {
            // Too large for a row: the blob is written first and committed only by the transaction
            // below (a failed attempt leaves a blob no head names, overwritten or deleted later).
            string name = FrameBlob(batch.Sequence);
            using var content = new MemoryStream(frame, writable: false);
            await _container.GetBlobClient(name).UploadAsync(content, overwrite: true).ConfigureAwait(false);
            Metrics.StorageRequests.Add(1, new KeyValuePair<string, object?>("kind", "frame"));
            row[FrameBlobProperty] = name;
        }

        var head = Head(batch.Sequence, _checkpoint, _checkpointSequence);
        var actions = new List<TableTransactionAction>(2 + RowsDeletedPerWrite)
        {
            new(TableTransactionActionType.UpdateReplace, head, _headEtag),
            new(TableTransactionActionType.Add, row),
        };

        // The oldest rows the durable checkpoint covers go in the same transaction, a few per write:
        // storage stays bounded without a burst of deletions that would hold up the writes behind it.
        ulong deleted = 0;
        while (deleted < RowsDeletedPerWrite && _oldestRow + deleted <= _checkpointSequence)
        {
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(_node, BatchRow(_oldestRow + deleted)), ETag.All));
            deleted++;
        }

        var response = await _table.SubmitTransactionAsync(actions).ConfigureAwait(false);
        _headEtag = response.Value[0].Headers.ETag ?? throw new InvalidOperationException("The journal's head came back without an ETag.");
        _oldestRow += deleted;
    }

    /// <inheritdoc />
    protected override async Task CheckpointAsync(NodeJournal journal, CancellationToken cancellation)
    {
        ulong sequence = journal.Sequence;
        var (name, bytes) = await CheckpointBlob.WriteAsync(_container, _prefix, journal, cancellation).ConfigureAwait(false);

        var moved = await _table.UpdateEntityAsync(Head(sequence, name, sequence), _headEtag, TableUpdateMode.Replace, cancellation).ConfigureAwait(false);
        _headEtag = moved.Headers.ETag ?? throw new InvalidOperationException("The journal's head came back without an ETag.");
        _checkpoint = name;
        _checkpointSequence = sequence;
        Metrics.StorageRequests.Add(2, new KeyValuePair<string, object?>("kind", "checkpoint"));
        Log.Checkpointed(Logger, Description, sequence, bytes);
        Compact(name, () => DeleteCoveredBlobsAsync(name, sequence));
    }

    /// <summary>
    /// Deletes the frame blobs and older checkpoints a checkpoint covers (its rows go with the writes
    /// that follow). Only what sorts before the checkpoint goes: a newer checkpoint may already exist
    /// when this runs.
    /// </summary>
    private async Task DeleteCoveredBlobsAsync(string keep, ulong through)
    {
        await foreach (var blob in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, _prefix, CancellationToken.None).ConfigureAwait(false))
        {
            bool olderCheckpoint = blob.Name.StartsWith(_prefix + "checkpoints/", StringComparison.Ordinal) && string.CompareOrdinal(blob.Name, keep) < 0;
            bool coveredFrame = blob.Name.StartsWith(_prefix + "frames/", StringComparison.Ordinal)
                && string.CompareOrdinal(blob.Name, FrameBlob(through + 1)) < 0;
            if (olderCheckpoint || coveredFrame) await _container.DeleteBlobIfExistsAsync(blob.Name).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async Task<NodeJournal> ReadAsync(CancellationToken cancellation)
    {
        if (!_ready)
        {
            await _table.CreateIfNotExistsAsync(cancellation).ConfigureAwait(false);
            await _container.CreateIfNotExistsAsync(cancellationToken: cancellation).ConfigureAwait(false);
            _ready = true;
        }

        while (true)
        {
            var found = await _table.GetEntityIfExistsAsync<TableEntity>(_node, HeadRow, cancellationToken: cancellation).ConfigureAwait(false);
            if (!found.HasValue)
            {
                // A node whose journal is in an append blob must not start over empty here: it would
                // forget its promises and votes.
                if (await _container.GetBlobClient(_prefix + "log").ExistsAsync(cancellation).ConfigureAwait(false))
                {
                    throw new InvalidOperationException(
                        $"Node '{_node}' keeps its journal in the append blob {_prefix}log of container '{_container.Name}', not in table rows: set PaxosGo:Journal to AppendBlob for this deployment.");
                }

                try
                {
                    var created = await _table.AddEntityAsync(Head(0, "", 0), cancellation).ConfigureAwait(false);
                    _headEtag = created.Headers.ETag ?? throw new InvalidOperationException("The journal's head came back without an ETag.");
                    _checkpoint = "";
                    _checkpointSequence = 0;
                    _oldestRow = 1;
                    return new NodeJournal();
                }
                catch (RequestFailedException raced) when (raced.Status == 409)
                {
                    continue; // another writer created it meanwhile: read that
                }
            }

            var head = found.Value!;
            ulong last = (ulong)(head.GetInt64(SequenceProperty) ?? 0);
            string checkpoint = head.GetString(CheckpointProperty) ?? "";
            ulong checkpointSequence = (ulong)(head.GetInt64(CheckpointSequenceProperty) ?? 0);
            var journal = checkpoint.Length == 0
                ? new NodeJournal()
                : NodeJournal.FromCheckpoint((await _container.GetBlobClient(checkpoint).DownloadContentAsync(cancellation).ConfigureAwait(false)).Value.Content.ToMemory().Span);
            if (journal.Sequence != checkpointSequence)
            {
                throw new InvalidDataException($"Journal {Description}: checkpoint {checkpoint} holds batch {journal.Sequence}, but the head says {checkpointSequence}.");
            }

            using var log = new MemoryStream();
            await foreach (var row in _table.QueryAsync<TableEntity>(
                e => e.PartitionKey == _node && e.RowKey.CompareTo(BatchRow(checkpointSequence + 1)) >= 0 && e.RowKey.CompareTo(BatchRow(last)) <= 0,
                cancellationToken: cancellation).ConfigureAwait(false))
            {
                byte[] frame = row.GetBinary(FrameProperty)
                    ?? (await _container.GetBlobClient(row.GetString(FrameBlobProperty)).DownloadContentAsync(cancellation).ConfigureAwait(false)).Value.Content.ToArray();
                log.Write(frame);
            }

            byte[] bytes = log.ToArray();
            int valid = journal.Replay(bytes);
            if (journal.Sequence != last)
            {
                // Rows are written whole with the head, so this is not a crash: read again if the
                // head moved meanwhile, and refuse to start on anything else (acknowledged votes may be missing).
                var now = await _table.GetEntityAsync<TableEntity>(_node, HeadRow, cancellationToken: cancellation).ConfigureAwait(false);
                if (now.Value.ETag != head.ETag) continue;
                throw new InvalidDataException(
                    $"Journal {Description}: the head names batch {last}, but the rows after checkpoint {checkpointSequence} replay only through batch {journal.Sequence} ({bytes.Length - valid} bytes unreadable).");
            }

            _headEtag = head.ETag;
            _checkpoint = checkpoint;
            _checkpointSequence = checkpointSequence;
            _oldestRow = await OldestRowAsync(last, cancellation).ConfigureAwait(false);
            Log.Recovered(Logger, Description, journal.Sequence, bytes.Length, checkpoint.Length == 0 ? "(none)" : checkpoint);
            return journal;
        }
    }

    // The first batch row still stored (rows run without a gap from it through the head's; none: the one after the head's).
    private async Task<ulong> OldestRowAsync(ulong last, CancellationToken cancellation)
    {
        await foreach (var row in _table.QueryAsync<TableEntity>(
            e => e.PartitionKey == _node && e.RowKey.CompareTo(BatchRowPrefix) >= 0 && e.RowKey.CompareTo(BatchRow(last + 1)) < 0,
            maxPerPage: 1,
            select: [nameof(TableEntity.RowKey)],
            cancellationToken: cancellation).ConfigureAwait(false))
        {
            return ulong.Parse(row.RowKey.AsSpan(BatchRowPrefix.Length), System.Globalization.CultureInfo.InvariantCulture);
        }

        return last + 1;
    }

    private TableEntity Head(ulong sequence, string checkpoint, ulong checkpointSequence) => new(_node, HeadRow)
    {
        [SequenceProperty] = (long)sequence,
        [CheckpointProperty] = checkpoint,
        [CheckpointSequenceProperty] = (long)checkpointSequence,
    };
}
