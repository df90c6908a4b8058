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

/// <summary>A node's journal in a ring of table rows on a real Azurite: group commit, recovery, fencing, checkpoints, the ring's reuse, large frames.</summary>
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

        Assert.Equal(409, (await Assert.ThrowsAsync<RequestFailedException>(() => refused)).Status); // its row exists now
        var (seen, _) = await second.LoadAsync("kv");
        Assert.Equivalent(Promised(1, 0), seen);
        await AppendAsync(second, "kv", seen, Promised(6, 0));
        using var reader = Open();
        Assert.Equivalent(Promised(6, 0), (await reader.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task AWriterThatMissedACheckpointAndTheRingsWrap_CannotWriteOverARowItDidNotSee()
    {
        using var stale = Open();
        await stale.LoadAsync("kv"); // believes the journal is empty, the ring unwritten
        var state = AcceptorState.Initial;
        using (var live = Open(checkpointEvery: 2)) // a ring of 4 rows
        {
            await live.LoadAsync("kv");
            for (ulong round = 1; round <= 9; round++)
            {
                var next = Promised(round, round);
                await AppendAsync(live, "kv", state, next);
                state = next;
            }
        }

        // Its batch 1 would go where batches 1, 5 and 9 went: the row exists, so the write is refused.
        Assert.Equal(409, (await Assert.ThrowsAsync<RequestFailedException>(() => AppendAsync(stale, "kv", AcceptorState.Initial, Promised(99, 7)))).Status);
        Assert.Equivalent(state, (await stale.LoadAsync("kv")).Acceptor);
        using var reader = Open();
        Assert.Equivalent(state, (await reader.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task Checkpoints_LetTheRingOfRowsBeReused_AndLeaveOneCheckpointBlob_SoStorageDoesNotGrowWithHistory()
    {
        using var log = Open(checkpointEvery: 10); // a ring of 20 rows
        await log.LoadAsync("kv");
        var state = AcceptorState.Initial;
        for (ulong round = 1; round <= 95; round++)
        {
            var next = new AcceptorState(new Ballot(round, new NodeId(1)), round - 1, Promised(round, round - 1, round).Accepted);
            await AppendAsync(log, "kv", state, next);
            state = next;
        }

        await log.Compaction; // older checkpoints are deleted beside the writes that follow
        Assert.Equal(21, (await RowsAsync()).Count); // the head and the ring, after 95 batches
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
        Assert.Equal(["head", RingRow(0), RingRow(1)], await RowsAsync()); // a ring of two rows
        Assert.Equal(["nodes/node-a/checkpoints/00000000000000000012"], await BlobsAsync());
        using var restarted = Open();
        Assert.Equivalent(state, (await restarted.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task AWriterRestartedAfterTheRingWrapped_ReadsOnlyTheBatchesAfterTheCheckpoint_AndGoesOnOverTheRowsItRead()
    {
        var state = AcceptorState.Initial;
        async Task WriteAsync(AzureTableNodeLog log, ulong from, ulong to)
        {
            for (ulong round = from; round <= to; round++)
            {
                var next = new AcceptorState(new Ballot(round, new NodeId(1)), round - 1, Promised(round, round - 1, round).Accepted);
                await AppendAsync(log, "kv", state, next);
                state = next;
            }
        }

        using (var log = Open(checkpointEvery: 5)) // a ring of 10 rows
        {
            await log.LoadAsync("kv");
            await WriteAsync(log, 1, 23); // checkpoint at 20; rows hold batches 14-23, of which 21-23 are after it
        }

        using (var restarted = Open(checkpointEvery: 50)) // the ring keeps the size it was made with
        {
            Assert.Equivalent(state, (await restarted.LoadAsync("kv")).Acceptor);
            await WriteAsync(restarted, 24, 37); // over rows it read: each write is conditioned on the ETag it saw
        }

        Assert.Equal(11, (await RowsAsync()).Count);
        using var reader = Open();
        Assert.Equivalent(state, (await reader.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task AJournalInTheEarlierTableLayout_IsRefusedWithAClearError_NotStartedOverEmpty()
    {
        await Table.CreateIfNotExistsAsync();
        await Table.AddEntityAsync(new TableEntity("node-a", "head") { ["Sequence"] = 3L, ["Checkpoint"] = "", ["CheckpointSequence"] = 0L });
        using var log = Open();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => log.LoadAsync("kv"));
        Assert.Contains("earlier layout", error.Message, StringComparison.Ordinal);
        Assert.Equal(["head"], await RowsAsync()); // nothing written over it
    }

    [Fact]
    public async Task ABatchTooLargeForARow_GoesToABlobCommittedByTheRow_AndIsReadBack_AndDeletedAfterTheNextCheckpoint()
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

    private static string RingRow(int index) => "r" + index.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
}
