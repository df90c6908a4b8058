using PaxosGo.Core;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Orleans.Tests.Cluster;

/// <summary>
/// The entry node verifies every command before it proposes anything. Each bad command gets a typed
/// error and leaves <c>state</c> where it was, on every replica.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class CommandAuthenticationTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EveryBadCommand_IsRejectedWithItsCode_AndStateDoesNotMove()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        ulong state = (await cluster.SubmitAsync(client, 5, [1], Patience)).State;
        var app = cluster.Grains.GetGrain<IApplicationGrain>(PaxosTestCluster.Application);
        var good = client.Sign(PaxosTestCluster.Application, 6, [1]);
        using var strangerKey = NodeKey.Generate();
        var stranger = new CommandSigner(strangerKey);

        var cases = new (string Code, SignedCommand Command, IApplicationGrain Target)[]
        {
            (CommandRejectionCodes.BadHash, good with { Payload = [2] }, app),
            (CommandRejectionCodes.BadHash, good with { RequestId = 7 }, app),
            (CommandRejectionCodes.BadSignature, good with { Signature = Flip(good.Signature) }, app),
            (CommandRejectionCodes.BadSignature, Resign(strangerKey, good, client.ClientId), app),
            (CommandRejectionCodes.UnknownClient, stranger.Sign(PaxosTestCluster.Application, 1, [1]), app),
            (CommandRejectionCodes.UnknownApplication, client.Sign("no-such-app", 6, [1]), cluster.Grains.GetGrain<IApplicationGrain>("no-such-app")),
            (CommandRejectionCodes.Malformed, good with { Application = "counter-2" }, app),
            (CommandRejectionCodes.Malformed, good with { ClientId = "not-hex" }, app),
            (CommandRejectionCodes.Malformed, good with { Hash = [1, 2, 3] }, app),
            (CommandRejectionCodes.Oversized, client.Sign(PaxosTestCluster.Application, 6, new byte[2048]), app),
            (CommandRejectionCodes.StaleRequest, client.Sign(PaxosTestCluster.Application, 4, [1]), app),
            (CommandRejectionCodes.BadSignature, Resign(strangerKey, cluster.Admin.Registration(PaxosTestCluster.Application, cluster.NextAdminRequest(), true, strangerKey.NodeId, strangerKey.PublicKey), Replica.AdminClientId), app),
        };

        foreach (var (code, command, target) in cases)
        {
            var rejected = await Assert.ThrowsAsync<CommandRejectedException>(() => target.Submit(command));
            Assert.True(code == rejected.Code, $"expected {code}, got {rejected.Code}: {rejected.Message}");
            Assert.False(string.IsNullOrWhiteSpace(rejected.Message));
        }

        // Nothing was proposed: every replica is where it was, and the stranger is still unknown.
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(state, r.State));
        Assert.Equal(CommandRejectionCodes.UnknownClient,
            (await Assert.ThrowsAsync<CommandRejectedException>(() => app.Submit(stranger.Sign(PaxosTestCluster.Application, 2, [1])))).Code);
        // The good command still commits.
        Assert.Equal(state + 1, (await cluster.SubmitAsync(good, Patience)).State);
    }

    [Fact]
    public async Task RevokingAClient_MakesItsNextCommandsFail_OnEveryEntryNode()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        await cluster.SubmitAsync(client, 1, [1], Patience);

        // Revoke (the admin signs a revocation of this client's key).
        await cluster.SubmitAsync(cluster.Admin.Registration(PaxosTestCluster.Application, cluster.NextAdminRequest(), false, client.ClientId, client.PublicKey), Patience);
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);

        var rejected = await Assert.ThrowsAsync<CommandRejectedException>(
            () => cluster.Grains.GetGrain<IApplicationGrain>(PaxosTestCluster.Application).Submit(client.Sign(PaxosTestCluster.Application, 2, [1])));
        Assert.Equal(CommandRejectionCodes.UnknownClient, rejected.Code);
        Assert.Equal(replicas[0].State, await cluster.Grains.GetGrain<IApplicationGrain>(PaxosTestCluster.Application).GetState());
    }

    private static byte[] Flip(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        copy[0] ^= 1;
        return copy;
    }

    /// <summary>The same command fields, hashed honestly, but signed with another key than the claimed client's.</summary>
    private static SignedCommand Resign(NodeKey wrongKey, SignedCommand command, string claimedClient)
    {
        byte[] hash = CommandEncoding.Hash(command.Application, claimedClient, command.RequestId, command.Payload);
        return new SignedCommand(command.Application, claimedClient, command.RequestId, command.Payload, hash, wrongKey.Sign(hash));
    }
}
