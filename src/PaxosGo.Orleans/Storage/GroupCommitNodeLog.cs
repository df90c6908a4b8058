using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PaxosGo.Core;
using PaxosGo.Core.Journal;
using PaxosGo.Core.Journal.Records;

namespace PaxosGo.Orleans.Storage;

/// <summary>
/// The group commit every <see cref="INodeLog"/> on storage shares: the changes that arrive while a
/// write is in flight, from any application, go out together in the next write (one
/// <see cref="NodeJournal"/> batch), and each caller's task completes once that write returned (the
/// caller then sends its messages: persist before send). A write whose outcome is not known, or
/// that another writer of the same node beat, fails every caller waiting on it, and the journal is
/// read again from storage before the next write, so no process acts on a state storage does not hold.
/// Subclasses say how a batch is written, how the journal is read back, and how it is checkpointed.
/// </summary>
public abstract class GroupCommitNodeLog : INodeLog, IDisposable
{
    private readonly SemaphoreSlim _recovering = new(1, 1);
    private readonly object _gate = new();
    private readonly int _checkpointEvery;
    private List<Pending> _queue = new();
    private bool _writing;
    private NodeJournal? _journal;
    private long _appends;
    private Task _compaction = Task.CompletedTask;

    /// <summary>Creates the log; it checkpoints after <paramref name="checkpointEvery"/> batches (or when <see cref="CheckpointDue"/> says so).</summary>
    protected GroupCommitNodeLog(string description, ILogger logger, int checkpointEvery)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(description);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(checkpointEvery, 1);
        Description = description;
        Logger = logger;
        _checkpointEvery = checkpointEvery;
    }

    /// <summary>Names this node's journal in log messages.</summary>
    protected string Description { get; }

    /// <summary>The logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>Writes (group commits) so far.</summary>
    public long Appends => Interlocked.Read(ref _appends);

    /// <summary>
    /// The deletion of what the last checkpoint covers (blobs, older checkpoints). It runs beside
    /// the writes that follow the checkpoint, so a checkpoint holds the group commit up only for its own
    /// writes; it never fails (what it could not delete is left for the next checkpoint).
    /// </summary>
    public Task Compaction => Volatile.Read(ref _compaction);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what the log holds.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) _recovering.Dispose();
    }

    /// <inheritdoc />
    public async Task<(AcceptorState Acceptor, ProposerState Proposer)> LoadAsync(string application, CancellationToken cancellation = default)
    {
        var journal = await RecoverAsync(cancellation).ConfigureAwait(false);
        lock (journal)
        {
            return (journal.Acceptor(application), journal.Proposer(application));
        }
    }

    /// <inheritdoc />
    public Task AppendAsync(AcceptorChange? acceptor, ProposerRound? proposer)
    {
        if (acceptor is null && proposer is null) return Task.CompletedTask;
        var pending = new Pending(acceptor, proposer);
        bool start;
        lock (_gate)
        {
            _queue.Add(pending);
            start = !_writing;
            _writing = true;
        }

        if (start) _ = Task.Run(WriteLoopAsync);
        return pending.Done.Task;
    }

    /// <summary>Reads the journal from storage (the newest checkpoint, then the batches after it) and makes this process its writer.</summary>
    protected abstract Task<NodeJournal> ReadAsync(CancellationToken cancellation);

    /// <summary>
    /// Makes <paramref name="batch"/> (framed as <paramref name="frame"/>) durable, conditioned on
    /// storage still holding exactly what this process last read or wrote; throws when it does not
    /// or when the outcome is unknown.
    /// </summary>
    protected abstract Task WriteAsync(NodeJournal journal, Batch batch, byte[] frame);

    /// <summary>Whether a checkpoint is due beyond the batch count (for example by the log's bytes).</summary>
    protected virtual bool CheckpointDue(NodeJournal journal) => false;

    /// <summary>
    /// Writes the whole state to a new checkpoint, so that storage no longer needs what it covers
    /// (which the subclass then hands to <see cref="Compact"/>).
    /// </summary>
    protected abstract Task CheckpointAsync(NodeJournal journal, CancellationToken cancellation);

    /// <summary>
    /// Deletes what a durable checkpoint covers in the background, after the previous deletion ended:
    /// nothing reads it any more (recovery starts from the checkpoint the journal names), so appends
    /// need not wait for it. A failure is logged and left for the next checkpoint.
    /// </summary>
    protected void Compact(string checkpoint, Func<Task> delete)
    {
        ArgumentNullException.ThrowIfNull(delete);
        var previous = Volatile.Read(ref _compaction);
        Volatile.Write(ref _compaction, Task.Run(async () =>
        {
            await previous.ConfigureAwait(false); // never faults
            try
            {
                await delete().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.CheckpointCleanupFailed(Logger, e, Description, checkpoint);
            }
        }));
    }

    private async Task<NodeJournal> RecoverAsync(CancellationToken cancellation = default)
    {
        if (Volatile.Read(ref _journal) is { } ready) return ready;
        await _recovering.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            if (_journal is { } recovered) return recovered;
            var journal = await ReadAsync(cancellation).ConfigureAwait(false);
            Volatile.Write(ref _journal, journal);
            return journal;
        }
        finally
        {
            _recovering.Release();
        }
    }

    private async Task WriteLoopAsync()
    {
        while (true)
        {
            List<Pending> batch;
            lock (_gate)
            {
                if (_queue.Count == 0)
                {
                    _writing = false;
                    return;
                }

                batch = _queue;
                _queue = new List<Pending>();
            }

            try
            {
                await CommitAsync(batch).ConfigureAwait(false);
                foreach (var pending in batch) pending.Done.TrySetResult();
            }
            catch (Exception e)
            {
                // Whether this write became durable is unknown (a timeout, a retry's conflict) or another
                // writer got in: forget what we believed and read storage again before the next write.
                Log.AppendFailed(Logger, e, Description);
                Volatile.Write(ref _journal, null);
                foreach (var pending in batch) pending.Done.TrySetException(e);
            }
        }
    }

    private async Task CommitAsync(List<Pending> pending)
    {
        var journal = await RecoverAsync().ConfigureAwait(false);
        // Only this loop applies batches, so the sequence cannot move under us.
        var batch = journal.NextBatch(pending.Where(p => p.Acceptor is not null).Select(p => p.Acceptor!), pending.Where(p => p.Proposer is not null).Select(p => p.Proposer!));
        byte[] frame = NodeJournal.Frame(batch);
        long start = Stopwatch.GetTimestamp();
        await WriteAsync(journal, batch, frame).ConfigureAwait(false);
        Metrics.RecordPersist(start, "journal");
        Metrics.StorageRequests.Add(1, new KeyValuePair<string, object?>("kind", "append"));
        Interlocked.Increment(ref _appends);
        lock (journal)
        {
            journal.Apply(batch);
        }

        if (journal.BatchesSinceCheckpoint >= _checkpointEvery || CheckpointDue(journal))
        {
            await CheckpointAsync(journal, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private sealed class Pending(AcceptorChange? acceptor, ProposerRound? proposer)
    {
        public AcceptorChange? Acceptor { get; } = acceptor;

        public ProposerRound? Proposer { get; } = proposer;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
