using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.TestingHost;
using PaxosGo.Core;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Tests.Infrastructure;
using PaxosGo.Orleans.Wire;
using Xunit;

namespace PaxosGo.Orleans.Tests.Cluster;

/// <summary>Integration tests: real TestCluster silos, each its own node identity, on a real Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ClusterTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CommandsFromAClient_Commit_AndEveryNodeEndsWithTheSameSequenceAndState()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience); // the registration is command 1

        var states = new List<ulong>();
        for (ulong r = 1; r <= 20; r++)
        {
            states.Add((await cluster.SubmitAsync(client, r, [(byte)r], Patience)).State);
        }

        // Every command executed once, in order, and its client got state back.
        Assert.Equal(Enumerable.Range(2, 20).Select(i => (ulong)i), states);
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(21UL, r.State));
        Assert.Single(replicas.Select(r => r.Digest).Distinct());
    }

    [Fact]
    public async Task ConcurrentClients_AndARetriedRequest_AreEachAppliedExactlyOnce()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var signers = new List<PaxosGo.Orleans.Commands.CommandSigner>();
        for (int c = 0; c < 8; c++) signers.Add(await cluster.RegisterClientAsync(Patience));

        var clients = signers.Select(async (signer, c) =>
        {
            for (ulong r = 1; r <= 5; r++)
            {
                var command = signer.Sign(PaxosTestCluster.Application, r, [(byte)c, (byte)r]);
                var first = await cluster.SubmitAsync(command, Patience);
                var again = await cluster.SubmitAsync(command, Patience); // a duplicate delivery
                Assert.Equal(first.State, again.State);
            }
        });
        await Task.WhenAll(clients);

        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(8UL + 40UL, r.State));
    }

    [Fact]
    public async Task AcceptorAndLearnerOfNodeK_RunOnTheSiloOfNodeK()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);

        foreach (var node in PaxosTestCluster.Nodes)
        {
            string silo = cluster.SiloOf(node).SiloAddress.ToString();
            var acceptor = await cluster.Acceptor(node).GetStatus();
            var learner = await cluster.Learner(node).GetStatus();
            var proposer = await cluster.Proposer(node).GetStatus();
            Assert.Equal((node, silo), (acceptor.Node, acceptor.Silo));
            Assert.Equal((node, silo), (learner.Node, learner.Silo));
            Assert.Equal((node, silo), (proposer.Node, proposer.Silo));
        }
    }

    [Fact]
    public async Task KillingTheLeadersSilo_CommandsKeepCommitting_AndTheNodeCatchesUpWhenBack()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        ulong request = 0;
        for (int i = 0; i < 5; i++) await cluster.SubmitAsync(client, ++request, [1], Patience);
        string leader = (await cluster.Proposer(PaxosTestCluster.Nodes[0]).GetStatus()).Leader!;
        Assert.Contains(leader, PaxosTestCluster.Nodes);

        var handle = cluster.SiloOf(leader);
        await cluster.Cluster.KillSiloAsync(handle);
        for (int i = 0; i < 5; i++) await cluster.SubmitAsync(client, ++request, [2], Patience);
        var survivors = PaxosTestCluster.Nodes.Where(n => n != leader).ToArray();
        var newLeader = (await cluster.Proposer(survivors[0]).GetStatus()).Leader;
        Assert.NotEqual(leader, newLeader);

        await cluster.RestartAsync(leader);
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, TimeSpan.FromSeconds(60));
        Assert.All(replicas, r => Assert.Equal(11UL, r.State));
    }

    [Fact]
    public async Task KillingAFollowersSilo_LeavesEveryGrainOfTheOtherNodesActive_BeforeAndAfterItIsDeclaredDead()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        ulong request = 0;
        for (int i = 0; i < 5; i++) await cluster.SubmitAsync(client, ++request, [1], Patience);
        string leader = (await cluster.Proposer(PaxosTestCluster.Nodes[0]).GetStatus()).Leader!;
        string victim = PaxosTestCluster.Nodes.Last(n => n != leader);
        string[] survivors = PaxosTestCluster.Nodes.Where(n => n != victim).ToArray();
        var victimSilo = cluster.SiloOf(victim).SiloAddress;
        var membership = ((InProcessSiloHandle)cluster.SiloOf(leader)).ServiceProvider.GetRequiredService<IClusterMembershipService>();

        // Counts activations from here on: a grain of a survivor that is deactivated (with Orleans'
        // default directory: those whose directory entries the dead silo held) is activated again.
        using var meter = new PaxosGoMeter();
        await cluster.Cluster.KillSiloAsync(cluster.SiloOf(victim));
        for (int i = 0; i < 5; i++) await cluster.SubmitAsync(client, ++request, [2], Patience);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (membership.CurrentSnapshot.GetSiloStatus(victimSilo) != SiloStatus.Dead)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{victim}'s silo was not declared dead within 120 s");
            await Task.Delay(200);
        }

        for (int i = 0; i < 5; i++) await cluster.SubmitAsync(client, ++request, [3], Patience);
        var replicas = await cluster.WaitForConvergenceAsync(survivors, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(16UL, r.State));
        foreach (string node in survivors)
        {
            Assert.Equal(0, meter.Count("paxosgo.grains.activated", node));
        }
    }

    [Fact]
    public async Task LinkBatchesToANodeWithNoActiveSilo_AreDroppedUnsentAndCounted_NotFailedOneByOneInOrleans()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        using var meter = new PaxosGoMeter();
        var client = await cluster.RegisterClientAsync(Patience);
        await cluster.Cluster.StopSiloAsync(cluster.SiloOf("node-c"));

        // The leader's heartbeats (every 100 ms) still have node-c as a recipient: once membership says
        // node-c has no Active silo, they are dropped before they are signed, and counted.
        Assert.True(await meter.WaitForAsync("paxosgo.link.messages", "dropped", 5, Patience) >= 5, "no link message to node-c was dropped");
        int failures = SiloLogCapture.CountLogged<SiloUnavailableException>("Node 'node-c' has no active silo");
        await cluster.SubmitAsync(client, 1, [1], Patience); // two nodes still commit
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(failures, SiloLogCapture.CountLogged<SiloUnavailableException>("Node 'node-c' has no active silo"));
        Assert.True(meter.Count("paxosgo.link.messages", "dropped") > 5);
    }

    [Fact]
    public async Task StoppingEverySilo_AndStartingAgainOnTheSameStorage_KeepsEveryAcknowledgedCommand()
    {
        string directory;
        string container = "paxosgo-" + Guid.NewGuid().ToString("N")[..16];
        var acknowledged = new List<ulong>();
        PaxosGo.Orleans.Commands.CommandSigner client;
        await using (var first = await PaxosTestCluster.StartAsync(azurite.ConnectionString, container: container, keepDirectory: true))
        {
            directory = first.Directory;
            client = await first.RegisterClientAsync(Patience);
            for (ulong r = 1; r <= 10; r++) acknowledged.Add((await first.SubmitAsync(client, r, [3], Patience)).State);
        }

        await using var second = await PaxosTestCluster.StartAsync(azurite.ConnectionString, directory, container);
        var replicas = await second.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(11UL, r.State));
        // The session table and the registry survived too: a retry of the last request gets its original answer...
        Assert.Equal(acknowledged[^1], (await second.SubmitAsync(client, 10, [3], Patience)).State);
        // ...and state continues from where it was.
        Assert.Equal(12UL, (await second.SubmitAsync(client, 11, [3], Patience)).State);
    }

    [Fact]
    public async Task FiftyConcurrentLinearizableReads_ShareTheirReadBarriers_AndEachSeesEveryAcknowledgedCommand()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        var acknowledged = await cluster.SubmitAsync(client, 1, [1], Patience);
        var before = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);

        var reads = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => cluster.Learner("node-b").ReadLinearizable()));

        Assert.All(reads, r => Assert.True(r.State >= acknowledged.State));
        // One barrier in flight and one queued behind it: at most two slots for fifty reads.
        var after = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.InRange(after[0].NextSlot - before[0].NextSlot, 1UL, 2UL);
        Assert.Equal(before[0].State, after[0].State);
    }
}
