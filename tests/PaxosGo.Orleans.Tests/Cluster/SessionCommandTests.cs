using PaxosGo.Core;
using Microsoft.Extensions.DependencyInjection;
using PaxosGo.Client;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Orleans.Tests.Cluster;

/// <summary>
/// Commands authenticated by a session MAC: a signed handshake opens a session with one node, whose
/// client gateway then checks each command's MAC. Forged, altered, misdirected and replayed commands
/// are rejected (or, for a replay, answered from the session table) and never move <c>state</c>.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class SessionCommandTests(AzuriteFixture azurite)
{
    private const string App = PaxosTestCluster.Application;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EveryBadSessionCommand_IsRejectedWithItsCode_AReplayGetsTheOriginalResult_AndStateDoesNotMove()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var alice = await cluster.RegisterClientAsync(Patience);
        var bob = await cluster.RegisterClientAsync(Patience);
        using var session = await cluster.OpenSessionAsync(alice);
        using var bobSession = await cluster.OpenSessionAsync(bob);
        var gateway = cluster.Gateway(session.Node);
        var executed = session.Authenticate(5, [1]);
        var first = await gateway.Submit(executed);
        ulong state = first.State;

        var good = session.Authenticate(6, [1]);
        string otherNode = PaxosTestCluster.Nodes.First(n => n != session.Node);
        byte[] alteredHash = CommandEncoding.Hash(App, alice.ClientId, 6, [2]);
        byte[] bobHash = CommandEncoding.Hash(App, bob.ClientId, 6, [1]);
        var cases = new (string Code, SessionCommand Command, IClientGatewayGrain Target)[]
        {
            (CommandRejectionCodes.BadMac, good with { Mac = Flip(good.Mac) }, gateway),
            (CommandRejectionCodes.BadMac, good with { Payload = [2], Hash = alteredHash }, gateway), // altered, hash recomputed, old MAC
            (CommandRejectionCodes.BadHash, good with { Payload = [2] }, gateway),
            (CommandRejectionCodes.BadHash, good with { RequestId = 7 }, gateway),
            (CommandRejectionCodes.BadMac, good with { SessionId = bobSession.SessionId }, cluster.Gateway(bobSession.Node) ), // alice's MAC in bob's session
            // alice, honestly holding her own session, claims to be bob: the session is bound to its client.
            (CommandRejectionCodes.BadMac, good with { ClientId = bob.ClientId, Hash = bobHash, Mac = session.MacOf(bobHash) }, gateway),
            (CommandRejectionCodes.UnknownSession, good with { SessionId = new byte[16] }, gateway),
            (CommandRejectionCodes.UnknownSession, good, cluster.Gateway(otherNode)), // a session lives on its node only
            (CommandRejectionCodes.Malformed, good with { SessionId = [1, 2] }, gateway),
            (CommandRejectionCodes.Malformed, good with { Mac = [1, 2] }, gateway),
            (CommandRejectionCodes.Malformed, good with { Application = "counter-2" }, gateway),
            (CommandRejectionCodes.Oversized, session.Authenticate(6, new byte[2048]), gateway),
            (CommandRejectionCodes.StaleRequest, session.Authenticate(4, [1]), gateway),
        };

        foreach (var (code, command, target) in cases)
        {
            var rejected = await Assert.ThrowsAsync<CommandRejectedException>(() => target.Submit(command));
            Assert.True(code == rejected.Code, $"expected {code}, got {rejected.Code}: {rejected.Message}");
            Assert.False(string.IsNullOrWhiteSpace(rejected.Message));
        }

        // Handshakes that must not open a session.
        var app = cluster.Grains.GetGrain<IApplicationGrain>(App);
        using var strangerKey = NodeKey.Generate();
        var (ephemeral, request) = ClientSession.Begin(alice, App);
        using (ephemeral)
        {
            var (strangerEphemeral, strangerRequest) = ClientSession.Begin(new CommandSigner(strangerKey), App);
            strangerEphemeral.Dispose();
            var refusals = new (string Code, SessionRequest Request)[]
            {
                (CommandRejectionCodes.BadSignature, request with { Signature = Flip(request.Signature) }),
                (CommandRejectionCodes.BadSignature, request with { ClientEphemeral = Flip(request.ClientEphemeral) }),
                (CommandRejectionCodes.BadSignature, strangerRequest with { ClientId = alice.ClientId }),
                (CommandRejectionCodes.UnknownClient, strangerRequest),
                (CommandRejectionCodes.Malformed, request with { ClientEphemeral = [1] }),
                (CommandRejectionCodes.Malformed, request with { Application = "other" }),
            };
            foreach (var (code, bad) in refusals)
            {
                var rejected = await Assert.ThrowsAsync<CommandRejectedException>(() => app.OpenSession(bad));
                Assert.True(code == rejected.Code, $"expected {code}, got {rejected.Code}: {rejected.Message}");
            }
        }

        // A replay of the executed command is answered from the session table: same result, nothing runs again.
        var replay = await gateway.Submit(executed);
        Assert.Equal(first.State, replay.State);
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(state, r.State));

        // The good command still commits, once, in this session.
        Assert.Equal(state + 1, (await gateway.Submit(good)).State);
        Assert.Equal(state + 1, (await gateway.Submit(good)).State);
        replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(state + 1, r.State));

        // Closing needs the session key; then the session is gone.
        await gateway.CloseSession(session.SessionId, Flip(session.CloseMac()));
        Assert.Equal(state + 2, (await gateway.Submit(session.Authenticate(7, [1]))).State);
        await gateway.CloseSession(session.SessionId, session.CloseMac());
        Assert.Equal(CommandRejectionCodes.UnknownSession, (await Assert.ThrowsAsync<CommandRejectedException>(() => gateway.Submit(session.Authenticate(8, [1])))).Code);
    }

    [Fact]
    public async Task RevokingAClient_EndsItsSessions_AndItsNextSessionCommandIsRejected()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        using var session = await cluster.OpenSessionAsync(client);
        var gateway = cluster.Gateway(session.Node);
        ulong state = (await gateway.Submit(session.Authenticate(1, [1]))).State;

        await cluster.SubmitAsync(cluster.Admin.Registration(App, cluster.NextAdminRequest(), false, client.ClientId, client.PublicKey), Patience);
        await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);

        var rejected = await Assert.ThrowsAsync<CommandRejectedException>(() => gateway.Submit(session.Authenticate(2, [1])));
        Assert.Equal(CommandRejectionCodes.UnknownClient, rejected.Code);
        // The session ended with the rejection: even a re-registration does not revive it.
        Assert.Equal(CommandRejectionCodes.UnknownSession,
            (await Assert.ThrowsAsync<CommandRejectedException>(() => gateway.Submit(session.Authenticate(3, [1])))).Code);
        Assert.Equal(CommandRejectionCodes.UnknownClient,
            (await Assert.ThrowsAsync<CommandRejectedException>(() => cluster.OpenSessionAsync(client))).Code);
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, Patience);
        Assert.All(replicas, r => Assert.Equal(state + 1, r.State)); // only the revocation executed
    }

    [Fact]
    public async Task AClientWhoseSessionNodeIsKilled_CarriesOnThroughAnotherNode_WithoutLosingOrRepeatingACommand()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var signer = await cluster.RegisterClientAsync(Patience);
        // Through node-b's and node-c's gateways only, so the session is on a node the test may kill.
        using var host = await cluster.ConnectThroughAsync(["node-b", "node-c"]);
        using var client = new PaxosGoClient(host.Services.GetRequiredService<IClusterClient>(), App, signer, firstRequestId: 1,
            new PaxosGoClientOptions { Mesh = cluster.Mesh, AttemptTimeout = TimeSpan.FromSeconds(3), Timeout = TimeSpan.FromSeconds(60) });
        ulong before = (await client.SubmitAsync([1])).State;
        for (int i = 1; i <= 3; i++) Assert.Equal(before + (ulong)i, (await client.SubmitAsync([1])).State);
        string victim = client.SessionNode!; // the leader's node, where the client moved its session

        await cluster.Cluster.KillSiloAsync(cluster.SiloOf(victim));
        for (int i = 4; i <= 8; i++) Assert.Equal(before + (ulong)i, (await client.SubmitAsync([1])).State); // each exactly once, in order
        Assert.NotEqual(victim, client.SessionNode);

        await cluster.RestartAsync(victim);
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, 1, TimeSpan.FromSeconds(60));
        Assert.All(replicas, r => Assert.Equal(before + 8, r.State));
        await host.StopAsync();
    }

    [Fact]
    public async Task AClientThatEntersThroughAFollower_MovesItsSessionToTheLeader_AndRepliesNameTheLeader()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var signer = await cluster.RegisterClientAsync(Patience);
        string leader = await LeaderAsync(cluster);
        string follower = PaxosTestCluster.Nodes.First(n => n != leader);
        // Only the follower's gateway: the first session opens there (a stateless entry grain runs on
        // the gateway's silo), and the leader is reached through it.
        using var host = await cluster.ConnectThroughAsync([follower]);
        using var client = new PaxosGoClient(host.Services.GetRequiredService<IClusterClient>(), App, signer, firstRequestId: 1,
            new PaxosGoClientOptions { Mesh = cluster.Mesh });
        var first = await client.SubmitAsync([1]);
        Assert.Equal(follower, first.Node);
        Assert.Equal(leader, first.Leader);

        var second = await client.SubmitAsync([1]);
        Assert.Equal(leader, client.SessionNode);
        Assert.Equal((leader, leader, first.State + 1), (second.Node, second.Leader, second.State));
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, second.State, Patience);
        Assert.All(replicas, r => Assert.Equal(second.State, r.State)); // each command once
        await host.StopAsync();
    }

    private static async Task<string> LeaderAsync(PaxosTestCluster cluster)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (DateTime.UtcNow < deadline)
        {
            var statuses = await Task.WhenAll(PaxosTestCluster.Nodes.Select(n => cluster.Proposer(n).GetStatus()));
            if (statuses.FirstOrDefault(s => s.Standing == "Leader") is { } l && statuses.All(s => s.Leader == l.Node)) return l.Node;
            await Task.Delay(100);
        }

        throw new TimeoutException("No leader that every node agrees on.");
    }

    private static byte[] Flip(byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        copy[0] ^= 1;
        return copy;
    }

    [Fact]
    public async Task AClientWithEveryGateway_FindsAnEntryThatComesInAtItsSessionNode_AndKeepsIt_EachCommandOnce()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var signer = await cluster.RegisterClientAsync(Patience);
        // Every node's gateway: Orleans picks one per grain, whatever node the grain lives on.
        using var host = await cluster.ConnectThroughAsync([.. PaxosTestCluster.Nodes]);
        using var client = new PaxosGoClient(host.Services.GetRequiredService<IClusterClient>(), App, signer, firstRequestId: 1,
            new PaxosGoClientOptions { Mesh = cluster.Mesh });
        var replies = new List<CommandReply>();
        for (int i = 0; i < 40; i++) replies.Add(await client.SubmitAsync([1]));

        string node = client.SessionNode!;
        Assert.All(replies, r => Assert.NotNull(r.EnteredAt)); // every command went in through an entry
        Assert.All(replies.TakeLast(10), r => Assert.Equal((node, node), (r.EnteredAt, r.Node))); // in at the session's node, answered there
        Assert.Equal(Enumerable.Range(0, 40).Select(i => replies[0].State + (ulong)i), replies.Select(r => r.State)); // each once, in order
        await host.StopAsync();
    }

    [Fact]
    public async Task AnEntry_RefusesANodeOutsideTheMesh_AnAliasOutOfRange_AndAnUnknownApplication_AndStateDoesNotMove()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var alice = await cluster.RegisterClientAsync(Patience);
        using var session = await cluster.OpenSessionAsync(alice);
        ulong state = (await cluster.Gateway(session.Node).Submit(session.Authenticate(5, [1]))).State;
        var command = session.Authenticate(6, [1]);

        var notInMesh = await Assert.ThrowsAsync<CommandRejectedException>(() => cluster.Grains.GetGrain<IClientEntryGrain>($"{App}/0").Submit("node-x", command));
        Assert.Equal(CommandRejectionCodes.Malformed, notInMesh.Code);
        foreach (string alias in new[] { "12", "01", "-1", "x", "" })
        {
            var refused = await Assert.ThrowsAnyAsync<Exception>(() => cluster.Grains.GetGrain<IClientEntryGrain>($"{App}/{alias}").Submit(session.Node, command));
            Assert.Contains("alias", refused.Message, StringComparison.Ordinal);
        }

        await Assert.ThrowsAnyAsync<Exception>(() => cluster.Grains.GetGrain<IClientEntryGrain>("no-such-app/0").Submit(session.Node, command));
        var replicas = await cluster.WaitForConvergenceAsync(PaxosTestCluster.Nodes, state, Patience);
        Assert.All(replicas, r => Assert.Equal(state, r.State)); // nothing refused ran

        // The same command through a good alias runs, once.
        var through = await cluster.Grains.GetGrain<IClientEntryGrain>($"{App}/0").Submit(session.Node, command);
        Assert.Equal((state + 1, session.Node), (through.State, through.Node));
        Assert.False(string.IsNullOrEmpty(through.EnteredAt));
    }
}
