using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PaxosGo.Core;
using PaxosGo.Orleans.Applications;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Tests.Cluster;
using PaxosGo.Orleans.Tests.Infrastructure;
using Tally;
using Xunit;

namespace PaxosGo.Orleans.Tests.Applications;

/// <summary>
/// A user's own application (the tally of docs/write-your-own-application.md) on a real cluster,
/// added through the public surface only: it runs beside the counter with its own log and
/// <c>state</c>, its validator refuses bad payloads at the entry node, and every node's replica can be
/// read locally through <see cref="LocalReplicas"/>.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class TallyApplicationTests(AzuriteFixture azurite)
{
    private const string App = "tally";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task AUsersApplication_RunsBesideTheCounter_RefusesBadPayloadsAtEntry_AndIsReadLocallyOnEveryNode()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString, withTally: true);
        using var key = NodeKey.Generate();
        await cluster.SubmitAsync(cluster.Admin.Registration(App, cluster.NextAdminRequest(), true, key.NodeId, key.PublicKey), Patience);
        var voter = new CommandSigner(key);

        var first = await cluster.SubmitAsync(voter.Sign(App, 1, Encoding.UTF8.GetBytes("paxos")), Patience);
        var second = await cluster.SubmitAsync(voter.Sign(App, 2, Encoding.UTF8.GetBytes("paxos")), Patience);
        var third = await cluster.SubmitAsync(voter.Sign(App, 3, Encoding.UTF8.GetBytes("raft")), Patience);
        Assert.Equal("paxos=1", Encoding.UTF8.GetString(first.Output));
        Assert.Equal("paxos=2", Encoding.UTF8.GetString(second.Output));
        Assert.Equal("raft=1", Encoding.UTF8.GetString(third.Output));
        Assert.Equal(first.State + 2, third.State);

        // The validator refuses at the entry node: nothing is proposed, state does not move.
        var refused = await Assert.ThrowsAsync<CommandRejectedException>(() => cluster.SubmitAsync(voter.Sign(App, 4, Encoding.UTF8.GetBytes("Not a word!")), Patience));
        Assert.Equal(CommandRejectionCodes.Invalid, refused.Code);
        Assert.Contains("lowercase letters", refused.Message, StringComparison.Ordinal);
        var after = await cluster.SubmitAsync(voter.Sign(App, 5, Encoding.UTF8.GetBytes("paxos")), Patience);
        Assert.Equal(third.State + 1, after.State);

        // Every node's replica answers local reads once it has applied the commands.
        var deadline = DateTime.UtcNow + Patience;
        foreach (var node in PaxosTestCluster.Nodes)
        {
            var services = cluster.SiloServices(node);
            while (TallySilo.LocalVotes(services, "paxos") != 3)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{node} did not apply the votes in time");
                await Task.Delay(50);
            }

            Assert.Equal(1UL, TallySilo.LocalVotes(services, "raft"));
            var version = services.GetRequiredService<LocalReplicas>().VersionOf(App);
            Assert.Equal(after.State, version!.Value.State);
        }

        // The counter runs beside it, with its own log and state.
        var counterClient = await cluster.RegisterClientAsync(Patience);
        var counted = await cluster.SubmitAsync(counterClient, 1, [1], Patience);
        Assert.NotEqual(0UL, counted.State);
        var tallyState = await cluster.Grains.GetGrain<ILearnerGrain>(GrainKeys.For(App, "node-a")).GetStatus();
        Assert.Equal(after.State, tallyState.State);
    }

    [Fact]
    public async Task LocalReplicas_SaysClearlyWhenAnApplicationIsNotHereOrIsAnotherMachine_AndWakesWaitersOnChange()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var services = cluster.SiloServices("node-b");
        var replicas = services.GetRequiredService<LocalReplicas>();
        var missing = Assert.Throws<ReplicaUnavailableException>(() => replicas.Read<TallyStateMachine, ulong>(App, (t, _) => t.VotesFor("x")));
        Assert.Contains("'tally'", missing.Message, StringComparison.Ordinal);
        Assert.Null(replicas.VersionOf(App));

        // The counter's learner activates at start-up; wait until its replica is attached.
        var deadline = DateTime.UtcNow + Patience;
        while (replicas.VersionOf(PaxosTestCluster.Application) is null)
        {
            Assert.True(DateTime.UtcNow < deadline, "the counter's replica never started on node-b");
            await Task.Delay(50);
        }

        var wrongType = Assert.Throws<InvalidOperationException>(() => replicas.Read<TallyStateMachine, ulong>(PaxosTestCluster.Application, (t, _) => t.VotesFor("x")));
        Assert.Contains("CounterStateMachine", wrongType.Message, StringComparison.Ordinal);

        ulong before = replicas.VersionOf(PaxosTestCluster.Application)!.Value.State;
        var changed = replicas.WaitForChangeAsync(PaxosTestCluster.Application, before);
        var client = await cluster.RegisterClientAsync(Patience); // a registration is an executed command: state moves
        await changed.WaitAsync(Patience);
        ulong total = replicas.Read<CounterStateMachine, ulong>(PaxosTestCluster.Application, (counter, version) =>
        {
            Assert.True(version.State > before);
            return counter.Total;
        });
        await cluster.SubmitAsync(client, 1, [1], Patience);
        deadline = DateTime.UtcNow + Patience;
        while (replicas.Read<CounterStateMachine, ulong>(PaxosTestCluster.Application, (c, _) => c.Total) != total + 1)
        {
            Assert.True(DateTime.UtcNow < deadline, "node-b did not apply the counter command");
            await Task.Delay(50);
        }
    }

    [Fact]
    public void TheWriteYourOwnApplicationPage_ShowsThisTestsApplicationCode_WordForWord()
    {
        string root = AzuriteFixture.FindRepositoryRoot();
        string source = File.ReadAllText(Path.Combine(root, "tests/PaxosGo.Orleans.Tests/Applications/TallyApplication.cs"));
        const string Begin = "// --- begin page code ---\n";
        const string End = "// --- end page code ---";
        int from = source.IndexOf(Begin, StringComparison.Ordinal) + Begin.Length;
        string code = source[from..source.IndexOf(End, StringComparison.Ordinal)].TrimEnd();

        string page = File.ReadAllText(Path.Combine(root, "docs/write-your-own-application.md"));
        const string Fence = "```csharp\n";
        int start = page.IndexOf(Fence, StringComparison.Ordinal);
        Assert.True(start >= 0, "the page has no csharp code block");
        start += Fence.Length;
        string shown = page[start..page.IndexOf("```", start, StringComparison.Ordinal)].TrimEnd();
        Assert.Equal(code, shown);
    }
}
