using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using PaxosGo.Client;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Orleans.Tests.Cluster;

/// <summary>Commands may be lost or delivered twice, through any node: each is applied exactly once.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ExactlyOnceTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TheSameCommand_SentConcurrentlyThroughEveryNode_ExecutesOnce_AndEveryCopyGetsItsResult()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        ulong before = (await cluster.SubmitAsync(client, 1, [1], Patience)).State;
        var command = client.Sign(PaxosTestCluster.Application, 2, [7]);

        var hosts = await Task.WhenAll(PaxosTestCluster.Nodes.Select(cluster.ConnectThroughAsync));
        try
        {
            var sends = hosts.SelectMany(h => Enumerable.Range(0, 4).Select(_ =>
                PaxosGoClient.SendAsync(h.Services.GetRequiredService<IClusterClient>(), command)));
            var replies = await Task.WhenAll(sends);

            Assert.All(replies, r => Assert.Equal(before + 1, r.State));
            Assert.Equal(PaxosTestCluster.Nodes.Order(), replies.Select(r => r.Node).Distinct().Order());
        }
        finally
        {
            foreach (var h in hosts)
            {
                await h.StopAsync();
                h.Dispose();
            }
        }

        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(before + 1, r.State));
    }

    [Fact]
    public async Task ACommandWhoseEntryNodeIsKilled_IsRetriedThroughAnotherNode_AndExecutesOnce()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var signer = await cluster.RegisterClientAsync(Patience);
        using var client = new PaxosGoClient(cluster.Grains, PaxosTestCluster.Application, signer, firstRequestId: 1);
        ulong before = (await client.SubmitAsync([1])).State;

        const string victim = "node-b";
        using var throughVictim = await cluster.ConnectThroughAsync(victim);
        var command = signer.Sign(PaxosTestCluster.Application, 2, [9]);
        var inFlight = PaxosGoClient.SendAsync(throughVictim.Services.GetRequiredService<IClusterClient>(), command,
            new PaxosGoClientOptions { Timeout = TimeSpan.FromSeconds(2), AttemptTimeout = TimeSpan.FromSeconds(1) });
        await cluster.Cluster.KillSiloAsync(cluster.SiloOf(victim));
        Orleans.Grains.CommandReply? early = null;
        try
        {
            early = await inFlight; // it may have committed before the kill, or not; its answer may be lost
        }
        catch (Exception e) when (e is not Orleans.Commands.CommandRejectedException)
        {
        }

        // The client retries the same command through the nodes that are left, repeatedly.
        var first = await PaxosGoClient.SendAsync(cluster.Grains, command);
        var second = await PaxosGoClient.SendAsync(cluster.Grains, command);
        Assert.Equal(before + 1, first.State);
        Assert.Equal(first.State, second.State);
        if (early is not null) Assert.Equal(early.State, first.State);

        await cluster.RestartAsync(victim);
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, TimeSpan.FromSeconds(60));
        Assert.All(replicas, r => Assert.Equal(before + 1, r.State));
        // The next request continues the sequence.
        Assert.Equal(before + 2, (await cluster.SubmitAsync(signer, 3, [1], Patience)).State);
        await throughVictim.StopAsync();
    }
}
