using System.Collections.Immutable;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging.Abstractions;
using PaxosGo.Core;
using PaxosGo.Core.Journal;
using PaxosGo.Orleans.Storage;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Orleans.Tests.Storage;

/// <summary>A node's journal on a real Azurite: group commit, recovery, torn tails, a second writer, checkpoints.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureAppendBlobNodeLogTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly BlobContainerClient _container = new BlobServiceClient(azurite.ConnectionString).GetBlobContainerClient("journal-" + Guid.NewGuid().ToString("N")[..12]);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _container.DeleteIfExistsAsync();

    private AzureAppendBlobNodeLog Open(int checkpointEvery = AzureAppendBlobNodeLog.DefaultCheckpointEvery) =>
        new(_container, "node-a", NullLogger<AzureAppendBlobNodeLog>.Instance, checkpointEvery);

    private static AcceptorState Promised(ulong round, params ulong[] slots) => JournalStates.Promised(round, 1, slots);

    private static Task AppendAsync(INodeLog log, string app, AcceptorState before, AcceptorState after) => JournalStates.AppendAsync(log, app, before, after);

    [Fact]
    public async Task ConcurrentChangesOfManyApplications_GoOutInFewerAppends_AndARestartReadsEveryOneBack()
    {
        using var log = Open();
        await log.LoadAsync("a0");

        // 40 applications change at once: they share group commits.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => AppendAsync(log, "a" + i, AcceptorState.Initial, Promised((ulong)i + 1, (ulong)i))));
        await log.AppendAsync(null, NodeJournal.Round("a7", new ProposerState(9)));

        Assert.InRange(log.Appends, 2, 40);
        using var restarted = Open();
        for (int i = 0; i < 40; i++)
        {
            var (acceptor, _) = await restarted.LoadAsync("a" + i);
            Assert.Equivalent(Promised((ulong)i + 1, (ulong)i), acceptor);
        }

        Assert.Equal(new ProposerState(9), (await restarted.LoadAsync("a7")).Proposer);
    }

    [Fact]
    public async Task ATornLastAppendInTheBlob_IsDroppedAtRecovery_AndNothingIsEverAppendedAfterIt()
    {
        using (var log = Open())
        {
            await log.LoadAsync("kv");
            await AppendAsync(log, "kv", AcceptorState.Initial, Promised(1, 0));
            await AppendAsync(log, "kv", Promised(1, 0), Promised(2, 0, 1));
        }

        // A crash in the middle of an append: the first half of a frame made it to the blob.
        var journal = new NodeJournal();
        var batch = journal.NextBatch([NodeJournal.Change("kv", Promised(2, 0, 1), Promised(3, 0, 1, 2))!], []);
        byte[] frame = NodeJournal.Frame(batch);
        var blob = _container.GetAppendBlobClient("nodes/node-a/log");
        using (var half = new MemoryStream(frame, 0, frame.Length / 2))
        {
            await blob.AppendBlockAsync(half);
        }

        using (var recovered = Open())
        {
            Assert.Equivalent(Promised(2, 0, 1), (await recovered.LoadAsync("kv")).Acceptor);
            await AppendAsync(recovered, "kv", Promised(2, 0, 1), Promised(4, 0, 1, 3));
        }

        // The log started over after the torn tail: the append that followed it is read back.
        using var again = Open();
        Assert.Equivalent(Promised(4, 0, 1, 3), (await again.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task AnotherWriterOfTheSameNodesLog_MakesTheNextAppendFail_AndTheJournalIsReadAgainBeforeTheOneAfter()
    {
        using var first = Open();
        using var second = Open();
        await first.LoadAsync("kv");
        await second.LoadAsync("kv");

        await AppendAsync(first, "kv", AcceptorState.Initial, Promised(1, 0));
        var refused = AppendAsync(second, "kv", AcceptorState.Initial, Promised(5));

        await Assert.ThrowsAsync<RequestFailedException>(() => refused);
        // Read again: the second writer now sees the first one's vote, and appends after it.
        var (seen, _) = await second.LoadAsync("kv");
        Assert.Equivalent(Promised(1, 0), seen);
        await AppendAsync(second, "kv", seen, Promised(6, 0));
        using var reader = Open();
        Assert.Equivalent(Promised(6, 0), (await reader.LoadAsync("kv")).Acceptor);
    }

    [Fact]
    public async Task Checkpoints_StartTheLogOver_AndLeaveOneCheckpointBlob_SoStorageDoesNotGrowWithHistory()
    {
        using var log = Open(checkpointEvery: 10);
        await log.LoadAsync("kv");
        var state = AcceptorState.Initial;
        for (ulong round = 1; round <= 95; round++)
        {
            // A sliding window of two votes, as acceptors truncate behind the learners.
            var next = new AcceptorState(new Ballot(round, new NodeId(1)), round - 1, Promised(round, round - 1, round).Accepted);
            await AppendAsync(log, "kv", state, next);
            state = next;
        }

        await log.Compaction; // older checkpoints are deleted beside the appends that follow
        var blobs = new List<BlobItem>();
        await foreach (var blob in _container.GetBlobsAsync()) blobs.Add(blob);
        Assert.Single(blobs, b => b.Name.StartsWith("nodes/node-a/checkpoints/", StringComparison.Ordinal));
        var logBlob = Assert.Single(blobs, b => b.Name == "nodes/node-a/log");
        Assert.True(logBlob.Properties.ContentLength < 10 * 1024, $"the log holds {logBlob.Properties.ContentLength} bytes after its last checkpoint");

        using var restarted = Open();
        Assert.Equivalent(state, (await restarted.LoadAsync("kv")).Acceptor);
    }
}
