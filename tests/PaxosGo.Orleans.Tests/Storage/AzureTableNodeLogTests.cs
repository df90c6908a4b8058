using System.Collections.Immutable;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging.Abstractions;
using PaxosGo.Core;
using PaxosGo.Core.Journal;
using PaxosGo.Orleans.Storage;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Orleans.Tests.Storage;

/// <summary>A node's journal in table rows on a real Azurite: group commit, recovery, fencing, checkpoints, large frames.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureTableNodeLogTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly BlobContainerClient _container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("tjournal-" + Guid.NewGuid().ToString("N")[..12]);
    private TableClient Table => new(azurite.ConnectionString, AzureTableNodeLog.TableNameFor(_container.Name));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _container.DeleteIfExistsAsync();
        await Table.DeleteAsync();
    }

    private AzureTableNodeLog Open(int checkpointEvery = AzureTableNodeLog.DefaultCheckpointEvery) =>
        new(Table, _container, "node-a", NullLogger<AzureTableNodeLog>.Instance, checkpointEvery);

    private static AcceptorState Promised(ulong round, params ulong[] slots) => JournalStates.Promised(round, 1, slots);

    private static Task AppendAsync(INodeLog log, string app, AcceptorState before, AcceptorState after) => JournalStates.AppendAsync(log, app, before, after);

    private async Task<List<string>> RowsAsync()
    {
        var rows = new List<string>();
        await foreach (var row in Table.QueryAsync<TableEntity>(e => e.PartitionKey == "node-a")) rows.Add(row.RowKey);
        return rows;
    }

    private async Task<List<string>> BlobsAsync()
    {
        var blobs = new List<string>();
        await foreach (var blob in _container.GetBlobsAsync()) blobs.Add(blob.Name);
        return blobs;
    }

    [Fact]
    public async Task ConcurrentChangesOfManyApplications_GoOutInFewerTransactions_AndARestartReadsEveryOneBack()
    {
        using var log = Open();
        await log.LoadAsync("a0");

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => AppendAsync(log, "a" + i, AcceptorState.Initial, Promised((ulong)i + 1, (ulong)i))));
        await log.AppendAsync(null, NodeJournal.Round("a7", new ProposerState(9)));

        Assert.InRange(log.Appends, 2, 40);
        Assert.Equal(log.Appends + 1, (await RowsAsync()).Count); // a row per group commit, and the head
        using var restarted = Open();
        for (int i = 0; i < 40; i++)
        {
            var (acceptor, _) = await restarted.LoadAsync("a" + i);
            Assert.Equivalent(Promised((ulong)i + 1, (ulong)i), acceptor);
        }

        Assert.Equal(new ProposerState(9), (await restarted.LoadAsync("a7")).Proposer);
    }

    [Fact]
    public async Task AnotherWriterOfTheSameNode_MakesTheNextWriteFail_AndTheJournalIsReadAgainBeforeTheOneAfter()
    {
        using var first = Open();
        using var second = Open();
        await first.LoadAsync("kv");
        await second.LoadAsync("kv");

        await AppendAsync(first, "kv", AcceptorState.Initial, Promised(1, 0));
        var refused = AppendAsync(second, "kv", AcceptorState.Initial, Promised(5));

        await Assert.ThrowsAsync<TableTransactionFailedException>(() => refused);
        var (seen, _) = await second.LoadAsync("kv");
        Assert.Equivalent(Promised(1, 0), seen);
        await AppendAsync(second, "kv", seen, Promised(6, 0));
        using var reader = Open();
        Assert.Equivalent(Promised(6, 0), (await reader.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task AWriterThatMissedACheckpoint_CannotSlipABatchUnderIt_IntoRowsTheCheckpointDeleted()
    {
        using var stale = Open();
        await stale.LoadAsync("kv"); // believes the journal is empty
        using (var live = Open(checkpointEvery: 2))
        {
            await live.LoadAsync("kv");
            await AppendAsync(live, "kv", AcceptorState.Initial, Promised(1, 0));
            await AppendAsync(live, "kv", Promised(1, 0), Promised(2, 0, 1)); // checkpoint: rows b1, b2 deleted
            await AppendAsync(live, "kv", Promised(2, 0, 1), Promised(3, 0, 1, 2));
            await live.Compaction;
        }

        Assert.DoesNotContain(AzureTableNodeLogRow(1), await RowsAsync());

        // Its batch 1 would land in a free row: the head's ETag refuses it.
        await Assert.ThrowsAsync<TableTransactionFailedException>(() => AppendAsync(stale, "kv", AcceptorState.Initial, Promised(9, 7)));
        Assert.Equivalent(Promised(3, 0, 1, 2), (await stale.LoadAsync("kv")).Acceptor);
        using var reader = Open();
        Assert.Equivalent(Promised(3, 0, 1, 2), (await reader.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task Checkpoints_DeleteTheRowsTheyCover_AndLeaveOneCheckpointBlob_SoStorageDoesNotGrowWithHistory()
    {
        using var log = Open(checkpointEvery: 10);
        await log.LoadAsync("kv");
        var state = AcceptorState.Initial;
        for (ulong round = 1; round <= 95; round++)
        {
            var next = new AcceptorState(new Ballot(round, new NodeId(1)), round - 1, Promised(round, round - 1, round).Accepted);
            await AppendAsync(log, "kv", state, next);
            state = next;
        }

        await log.Compaction; // what a checkpoint covers is deleted beside the writes that follow
        var rows = await RowsAsync();
        Assert.InRange(rows.Count, 2, 11); // the head and the batches after the last checkpoint (90)
        Assert.Single(await BlobsAsync(), b => b.StartsWith("nodes/node-a/checkpoints/", StringComparison.Ordinal));
        using var restarted = Open();
        Assert.Equivalent(state, (await restarted.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task CheckpointsInQuickSuccession_DeleteOnlyWhatIsOlder_WhileAppendsGoOn_AndTheNewestCheckpointSurvives()
    {
        using var log = Open(checkpointEvery: 1); // every batch checkpoints: blob deletions overlap the next checkpoints
        await log.LoadAsync("kv");
        var state = AcceptorState.Initial;
        for (ulong round = 1; round <= 12; round++)
        {
            var next = Promised(round, round);
            await AppendAsync(log, "kv", state, next);
            state = next;
        }

        await log.Compaction;
        Assert.Equal([AzureTableNodeLogRow(12), "head"], await RowsAsync()); // each write deleted the row the checkpoint before it covered
        Assert.Equal(["nodes/node-a/checkpoints/00000000000000000012"], await BlobsAsync());
        using var restarted = Open();
        Assert.Equivalent(state, (await restarted.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task RowsACheckpointCovers_GoWithTheWritesAfterIt_AndAWriterRestartedHalfwayDeletesFromTheOldestRowLeft()
    {
        var state = AcceptorState.Initial;
        async Task WriteAsync(AzureTableNodeLog log, ulong from, ulong to)
        {
            for (ulong round = from; round <= to; round++)
            {
                var next = Promised(round, round);
                await AppendAsync(log, "kv", state, next);
                state = next;
            }
        }

        using (var log = Open(checkpointEvery: 10))
        {
            await log.LoadAsync("kv");
            await WriteAsync(log, 1, 12); // checkpoint after batch 10; batches 11 and 12 delete rows 1-4
        }

        Assert.Equal(AzureTableNodeLogRow(5), (await RowsAsync())[0]);
        using var restarted = Open(checkpointEvery: 10);
        Assert.Equivalent(state, (await restarted.LoadAsync("kv")).Acceptor);
        await WriteAsync(restarted, 13, 15); // rows 5-10 go with these three writes
        Assert.Equal([.. Enumerable.Range(11, 5).Select(i => AzureTableNodeLogRow((ulong)i)), "head"], await RowsAsync());
    }

    [Fact]
    public async Task ABatchTooLargeForARow_GoesToABlobCommittedByTheRow_AndIsReadBack_AndDeletedWithTheRowsAtTheNextCheckpoint()
    {
        var big = JournalStates.Promised(1, 100 * 1024, 0); // one vote of 100 KiB: more than a row's binary property holds
        using (var log = Open(checkpointEvery: 3))
        {
            await log.LoadAsync("kv");
            await AppendAsync(log, "kv", AcceptorState.Initial, big);
            Assert.Contains("nodes/node-a/frames/00000000000000000001", await BlobsAsync());
        }

        using (var restarted = Open(checkpointEvery: 3))
        {
            Assert.Equivalent(big, (await restarted.LoadAsync("kv")).Acceptor);
            var bigger = big with { Promised = new Ballot(2, new NodeId(1)) };
            await AppendAsync(restarted, "kv", big, bigger);
            await AppendAsync(restarted, "kv", bigger, bigger with { Promised = new Ballot(3, new NodeId(1)) }); // batch 3: checkpoint
            await restarted.Compaction;
        }

        Assert.DoesNotContain(await BlobsAsync(), b => b.Contains("/frames/", StringComparison.Ordinal));
        using var reader = Open();
        Assert.Equal(new Ballot(3, new NodeId(1)), (await reader.LoadAsync("kv")).Acceptor.Promised);
        Assert.Equivalent(big.Accepted, (await reader.LoadAsync("kv")).Acceptor.Accepted);
    }

    [Fact]
    public async Task ANodeWhoseJournalIsInAnAppendBlob_IsNotStartedOverEmptyInTableRows_TheErrorNamesTheSetting()
    {
        using (var blobJournal = new AzureAppendBlobNodeLog(_container, "node-a", NullLogger<AzureAppendBlobNodeLog>.Instance))
        {
            await blobJournal.LoadAsync("kv");
            await blobJournal.AppendAsync(NodeJournal.Change("kv", AcceptorState.Initial, Promised(4, 0)), null);
        }

        using var log = Open();
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => log.LoadAsync("kv"));
        Assert.Contains("PaxosGo:Journal to AppendBlob", refused.Message, StringComparison.Ordinal);
        Assert.Empty(await RowsAsync()); // nothing written: no head that would hide the votes
    }

    private static string AzureTableNodeLogRow(ulong sequence) => "b" + sequence.ToString("D20", System.Globalization.CultureInfo.InvariantCulture);
}
