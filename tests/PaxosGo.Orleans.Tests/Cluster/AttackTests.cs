using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Core.Internal;
using PaxosGo.Core;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Tests.Infrastructure;
using PaxosGo.Orleans.Transport;
using PaxosGo.Orleans.Wire;
using Xunit;

namespace PaxosGo.Orleans.Tests.Cluster;

/// <summary>
/// The attacks of the "close the edges" report, each against a real cluster (TestCluster silos on
/// Azurite, TLS on every link): each fails with a typed error, and no replica's state moves.
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class AttackTests(AzuriteFixture azurite)
{
    private const string App = PaxosTestCluster.Application;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly string[] Nodes = PaxosTestCluster.Nodes;

    // A refused TLS connection makes the Orleans client retry until its caller gives up.
    private static readonly TimeSpan Refusal = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task AClientCallingAnyInternalMethod_IsRefusedWithCallRefused_AndNoReplicaMoves()
    {
        using var meter = new PaxosGoMeter();
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        await cluster.SubmitAsync(client, 1, [1], Patience);
        var before = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        var node = cluster.NodeServices("node-a");
        var genuine = node.Signer.Seal(App, node.Identity.Mesh.IndexOf("node-b"), Role.Acceptor,
            WireCodec.EncodeMessage(new Prepare(node.Self, new Ballot(1_000_000, node.Self), 0)));
        var command = new ClientCommand(client.ClientId, 2, [1]);
        byte[] attestation = node.AttestSubmit(App, [command]);

        foreach (string n in Nodes)
        {
            var calls = new (string What, Func<Task> Call)[]
            {
                // Even with a valid attestation and a genuinely signed envelope: a client never reaches these methods.
                ("Submit", () => cluster.Proposer(n).Submit([command], attestation)),
                ("NoteLearned", () => cluster.Proposer(n).NoteLearned(1_000_000, RandomNumberGenerator.GetBytes(32))),
                ("NoteVoted", () => cluster.Proposer(n).NoteVoted(1_000_000, RandomNumberGenerator.GetBytes(32))),
                ("Admit", () => cluster.Learner(n).Admit(command, attestation)),
                ("LookupClient", () => cluster.Learner(n).LookupClient(client.ClientId, RandomNumberGenerator.GetBytes(32))),
                ("Acceptor.Deliver", () => cluster.Acceptor(n).Deliver(genuine)),
                ("Proposer.Deliver", () => cluster.Proposer(n).Deliver(genuine)),
                ("Learner.Deliver", () => cluster.Learner(n).Deliver(genuine)),
            };
            foreach (var (what, call) in calls)
            {
                var refused = await Assert.ThrowsAsync<CallRefusedException>(call);
                Assert.Contains("internal to the cluster", refused.Message, StringComparison.Ordinal);
            }

            // The one-way path has no answer to carry the refusal: it is refused and counted all the same.
            await cluster.Acceptor(n).Post(genuine);
        }

        Assert.Equal(9 * Nodes.Length, await meter.WaitForAsync("paxosgo.calls.refused", "internal-method", 9 * Nodes.Length, Patience));

        // One attestation covers one batch of commands exactly: a command added, dropped, reordered
        // or changed, or an empty batch, is refused.
        var first = new ClientCommand(client.ClientId, 50, [1]);
        var second = new ClientCommand(client.ClientId, 51, [2]);
        byte[] both = node.AttestSubmit(App, [first, second]);
        node.CheckSubmit(App, [first, second], both);
        foreach (ClientCommand[] altered in new ClientCommand[][] { [first], [second, first], [first, second, second], [first, second with { Payload = [3] }], [first, second with { RequestId = 52 }] })
        {
            Assert.Equal(RejectionCodes.Unauthenticated, Assert.Throws<ProtocolMessageRejectedException>(() => node.CheckSubmit(App, altered, both)).Code);
        }

        Assert.Equal(RejectionCodes.Malformed, Assert.Throws<ProtocolMessageRejectedException>(() => node.CheckSubmit(App, [], node.AttestSubmit(App, []))).Code);

        var after = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        Assert.All(after, r => Assert.Equal((before[0].State, before[0].NextSlot, before[0].Digest), (r.State, r.NextSlot, r.Digest)));
        Assert.All(await Task.WhenAll(Nodes.Select(n => cluster.Acceptor(n).GetStatus())), a => Assert.True(a.PromisedRound < 1_000_000));
        // Request 2 never ran: sent properly now, it executes (once).
        Assert.Equal(before[0].State + 1, (await cluster.SubmitAsync(client, 2, [1], Patience)).State);
    }

    [Fact]
    public async Task OrleansGrainExtensions_AreRefusedOnEveryPaxosGoGrain_AndTheLeaderKeepsItsBallot()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        await cluster.SubmitAsync(client, 1, [1], Patience);
        var leader = await LeaderAsync(cluster);

        var grains = new List<IAddressable> { cluster.Grains.GetGrain<IApplicationGrain>(App) };
        foreach (string n in Nodes)
        {
            grains.Add(cluster.Acceptor(n));
            grains.Add(cluster.Proposer(n));
            grains.Add(cluster.Learner(n));
            grains.Add(cluster.Gateway(n));
        }

        foreach (var grain in grains)
        {
            var management = grain.AsReference<IGrainManagementExtension>();
            await Assert.ThrowsAsync<CallRefusedException>(() => management.DeactivateOnIdle().AsTask());
            await Assert.ThrowsAsync<CallRefusedException>(() => management.MigrateOnIdle().AsTask());
        }

        // Nothing was deactivated: the leader still leads in the same ballot, and commands commit.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(leader, await LeaderAsync(cluster));
        Assert.Equal(3UL, (await cluster.SubmitAsync(client, 2, [1], Patience)).State);
    }

    [Fact]
    public async Task AClientForgingAGrainSendingId_IsStoppedByAttestationsAndSignatures_AndNoReplicaMoves()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        await cluster.SubmitAsync(client, 1, [1], Patience);
        var before = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        var leader = await LeaderAsync(cluster);
        using var meter = new PaxosGoMeter();
        using var attacker = await cluster.ConnectThroughAsync(Nodes);
        ForgedSender.Apply(attacker, GrainId.Create("attacker", "x"));
        var grains = attacker.Services.GetRequiredService<IClusterClient>();

        // Internal calls without this node's attestation: a forged, an empty and a replayed one.
        var command = new ClientCommand(client.ClientId, 2, [1]);
        foreach (string n in Nodes)
        {
            var key = GrainKeys.For(App, n);
            var proposer = grains.GetGrain<IProposerGrain>(key);
            var learner = grains.GetGrain<ILearnerGrain>(key);
            Fire(proposer.Submit([command], RandomNumberGenerator.GetBytes(32)));
            Fire(proposer.Submit([command], []));
            Fire(proposer.NoteLearned(1_000_000, RandomNumberGenerator.GetBytes(32)));
            Fire(proposer.NoteVoted(1_000_000, RandomNumberGenerator.GetBytes(32)));
            Fire(learner.Admit(command, RandomNumberGenerator.GetBytes(32)));
            Fire(learner.LookupClient(client.ClientId, RandomNumberGenerator.GetBytes(32)));
            // Another node's attestation of the very same call: each node's key is its own.
            string other = Nodes.First(o => o != n);
            Fire(proposer.Submit([command], cluster.NodeServices(other).AttestSubmit(App, [command])));
            Fire(grains.GetGrain<IProposerGrain>(key).AsReference<IGrainManagementExtension>().DeactivateOnIdle().AsTask());
        }

        // Protocol messages: a Prepare with a huge ballot would capture every acceptor if believed.
        var mesh = cluster.Mesh;
        int nodeA = mesh.IndexOf("node-a"), nodeB = mesh.IndexOf("node-b");
        byte[] prepare = WireCodec.EncodeMessage(new Prepare(new NodeId(nodeA), new Ballot(1_000_000, new NodeId(nodeA)), 0));
        using var outsiderKey = NodeKey.Generate();
        var outsiderMesh = Mesh.Create(mesh.Nodes.Select(n => n.Name == "node-a" ? MeshNode.For("node-a", outsiderKey, n.Endpoints) : n));
        var wrongKey = new EnvelopeSigner(NodeIdentity.Create(outsiderMesh, outsiderKey, "node-a"), cluster.ClusterDigest).Seal(App, nodeB, Role.Acceptor, prepare);
        var genuineForB = cluster.NodeServices("node-a").Signer.Seal(App, nodeB, Role.Acceptor, prepare);
        using var realKey = NodeKey.Load(Path.Combine(cluster.Directory, "node-a.key"));
        var otherConfiguration = new EnvelopeSigner(NodeIdentity.Create(mesh, realKey, "node-a"), RandomNumberGenerator.GetBytes(32)).Seal(App, nodeB, Role.Acceptor, prepare);
        var acceptorB = grains.GetGrain<IAcceptorGrain>(GrainKeys.For(App, "node-b"));
        Fire(acceptorB.Deliver(wrongKey));
        Fire(acceptorB.Deliver(wrongKey with { From = 7 }));
        Fire(grains.GetGrain<IAcceptorGrain>(GrainKeys.For(App, "node-c")).Deliver(genuineForB));
        Fire(acceptorB.Deliver(otherConfiguration));
        // The one-way path the nodes use runs the same checks: refused, with nothing to answer.
        await acceptorB.Post(wrongKey);
        await grains.GetGrain<IProposerGrain>(GrainKeys.For(App, "node-c")).Post(genuineForB);

        const string Rejected = "paxosgo.messages.rejected";
        Assert.Equal(7 * Nodes.Length, await meter.WaitForAsync(Rejected, RejectionCodes.Unauthenticated, 7 * Nodes.Length, Patience));
        Assert.Equal(2, await meter.WaitForAsync(Rejected, RejectionCodes.BadSignature, 2, Patience));
        Assert.Equal(1, await meter.WaitForAsync(Rejected, RejectionCodes.UnknownSender, 1, Patience));
        Assert.Equal(2, await meter.WaitForAsync(Rejected, RejectionCodes.Misdirected, 2, Patience));
        Assert.Equal(1, await meter.WaitForAsync(Rejected, RejectionCodes.ConfigurationMismatch, 1, Patience));
        Assert.Equal(Nodes.Length, await meter.WaitForAsync("paxosgo.calls.refused", "not-a-paxosgo-method", Nodes.Length, Patience));

        await AssertNoReplicaMovedAsync(cluster, client, before, leader);
    }

    [Fact]
    public async Task ForgedAlteredReplayedAndMisdirectedLinkBatches_AndUnattestedRelays_AreRefusedWhole_AndNoReplicaMoves()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        await cluster.SubmitAsync(client, 1, [1], Patience);
        var before = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        var leader = await LeaderAsync(cluster);
        using var meter = new PaxosGoMeter();
        using var attacker = await cluster.ConnectThroughAsync(Nodes);
        ForgedSender.Apply(attacker, GrainId.Create("attacker", "x"));
        var grains = attacker.Services.GetRequiredService<IClusterClient>();

        // A Prepare with a huge ballot would capture node-b's acceptor if any of these got through.
        var mesh = cluster.Mesh;
        int nodeA = mesh.IndexOf("node-a"), nodeB = mesh.IndexOf("node-b");
        byte[] prepare = WireCodec.EncodeMessage(new Prepare(new NodeId(nodeA), new Ballot(1_000_000, new NodeId(nodeA)), 0));
        LinkItem[] items = [new(App, (byte)Role.Acceptor, prepare)];
        using var outsiderKey = NodeKey.Generate();
        var outsiderMesh = Mesh.Create(mesh.Nodes.Select(n => n.Name == "node-a" ? MeshNode.For("node-a", outsiderKey, n.Endpoints) : n));
        var outsider = NodeIdentity.Create(outsiderMesh, outsiderKey, "node-a");
        var forged = new EnvelopeSigner(outsider, cluster.ClusterDigest).SealBatch((outsider.Index + 1) % Nodes.Length, long.MaxValue, 1, items) with { From = nodeA, To = nodeB };
        // A batch numbered as one node-b already received from node-a's running incarnation (the
        // highest it received is always recorded), signed with node-a's own key: a replay.
        await WaitUntilAsync(() => cluster.Links("node-b").HighestReceived(nodeA) >= 1, Patience);
        var replayed = cluster.NodeServices("node-a").Signer.SealBatch(nodeB, cluster.Links("node-a").Incarnation, cluster.Links("node-b").HighestReceived(nodeA), items);
        var altered = replayed with { Sequence = ulong.MaxValue };
        var linkAtoB = grains.GetGrain<INodeLinkGrain>(GrainKeys.For("node-a", "node-b"));
        await linkAtoB.Post(forged);
        await linkAtoB.Post(altered);
        await linkAtoB.Post(replayed);
        await grains.GetGrain<INodeLinkGrain>(GrainKeys.For("node-a", "node-c")).Post(replayed);
        foreach (string n in Nodes)
        {
            // Relays without this node's link attestation.
            await grains.GetGrain<IAcceptorGrain>(GrainKeys.For(App, n)).Relay(new RelayedMessages(App, (byte)Role.Acceptor, nodeA, [prepare]), RandomNumberGenerator.GetBytes(32));
        }

        const string Rejected = "paxosgo.messages.rejected";
        Assert.Equal(Nodes.Length, await meter.WaitForAsync(Rejected, RejectionCodes.Unauthenticated, Nodes.Length, Patience));
        Assert.Equal(2, await meter.WaitForAsync(Rejected, RejectionCodes.BadSignature, 2, Patience));
        Assert.Equal(1, await meter.WaitForAsync(Rejected, RejectionCodes.Replayed, 1, Patience));
        Assert.Equal(1, await meter.WaitForAsync(Rejected, RejectionCodes.Misdirected, 1, Patience));

        await AssertNoReplicaMovedAsync(cluster, client, before, leader);
    }

    [Fact]
    public async Task AdministrativeCommandsWithoutTheAdministratorsSignature_ProposedStraightIntoTheLogByANode_AreRefusedByEveryReplica()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        await cluster.SubmitAsync(client, 1, [1], Patience);
        var before = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        // The worst case: an insider holding node-a's attestation key proposes directly, skipping every entry check.
        var insider = cluster.NodeServices("node-a");
        using var attacker = await cluster.ConnectThroughAsync(Nodes);
        ForgedSender.Apply(attacker, GrainId.Create("attacker", "x"));
        var proposer = attacker.Services.GetRequiredService<IClusterClient>().GetGrain<IProposerGrain>(GrainKeys.For(App, "node-a"));
        using var stranger = NodeKey.Generate();
        byte[] body = new ClientRegistration(true, stranger.NodeId, stranger.PublicKey).Encode();
        ulong id = cluster.NextAdminRequest();
        var genuine = cluster.Admin.Sign(App, id, body);
        var strangerSigned = new CommandSigner(stranger).Sign(App, id + 1, body);

        var forged = new[]
        {
            new ClientCommand(Replica.AdminClientId, id + 1, body),                                                          // unsigned
            new ClientCommand(Replica.AdminClientId, id + 2, AdministrativeCommand.Wrap(body, strangerSigned.Signature)),  // signed by another key
            new ClientCommand(Replica.AdminClientId, id + 3, AdministrativeCommand.Wrap(body, genuine.Signature)),         // the administrator's signature, replayed under another request id
        };
        var after = before;
        foreach (var command in forged)
        {
            Fire(proposer.Submit([command], insider.AttestSubmit(App, [command])));
            // Chosen and applied everywhere (the log moved), refused by every replica (state did not).
            after = await cluster.WaitForConvergenceAsync(Nodes, after[0].NextSlot + 1, Patience);
            Assert.All(after, r => Assert.Equal(before[0].State, r.State));
        }

        var entry = cluster.Grains.GetGrain<IApplicationGrain>(App);
        var refused = await Assert.ThrowsAsync<CommandRejectedException>(() => entry.Submit(new CommandSigner(stranger).Sign(App, 1, [1])));
        Assert.Equal(CommandRejectionCodes.UnknownClient, refused.Code);
        await Assert.ThrowsAnyAsync<Exception>(() => cluster.ConnectThroughAsync(Nodes, stranger, timeout: Refusal));

        // The same path with the administrator's signature executes: only the signature made the difference.
        var signed = new ClientCommand(Replica.AdminClientId, id + 4, AdministrativeCommand.Wrap(body, cluster.Admin.Sign(App, id + 4, body).Signature));
        Fire(proposer.Submit([signed], insider.AttestSubmit(App, [signed])));
        await WaitForStateAsync(cluster, before[0].State + 1);
        Assert.Equal(before[0].State + 2, (await cluster.SubmitAsync(new CommandSigner(stranger), 1, [1], Patience)).State);
    }

    [Theory]
    [InlineData("long-client-id")]
    [InlineData("another-keys-client-id")]
    [InlineData("garbage-payload")]
    [InlineData("truncated-registration")]
    public async Task AnAdministratorSignedCommandThatIsNotAWellFormedRegistration_IsRejectedAsMalformed_AndChangesNothing(string shape)
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        var before = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        using var key = NodeKey.Generate();
        using var other = NodeKey.Generate();
        ulong id = cluster.NextAdminRequest();
        byte[] registration = new ClientRegistration(true, key.NodeId, key.PublicKey).Encode();
        var command = shape switch
        {
            "long-client-id" => cluster.Admin.Registration(App, id, true, new string('a', 900), key.PublicKey), // (the test cluster's command limit is 1 KiB)
            "another-keys-client-id" => cluster.Admin.Registration(App, id, true, other.NodeId, key.PublicKey),
            "garbage-payload" => cluster.Admin.Sign(App, id, [1, 2, 3]),
            _ => cluster.Admin.Sign(App, id, registration[..^3]),
        };

        var rejected = await Assert.ThrowsAsync<CommandRejectedException>(() => cluster.Grains.GetGrain<IApplicationGrain>(App).Submit(command));

        Assert.Equal(CommandRejectionCodes.Malformed, rejected.Code);
        var after = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        Assert.All(after, r => Assert.Equal((before[0].State, before[0].NextSlot), (r.State, r.NextSlot)));
        Assert.Equal(before[0].State + 1, (await cluster.SubmitAsync(client, 1, [1], Patience)).State);
    }

    [Fact]
    public async Task TheAdministrator_CannotOpenASession_AdministrativeCommandsAreAlwaysSigned()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        await cluster.RegisterClientAsync(Patience);

        var rejected = await Assert.ThrowsAsync<CommandRejectedException>(() => cluster.OpenSessionAsync(cluster.Admin));

        Assert.Equal(CommandRejectionCodes.Malformed, rejected.Code);
    }

    [Fact]
    public async Task TheFirstCommandAfterARegistration_ThroughEachNode_IsNeverRefused_FiftyTimes()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var hosts = new List<IHost>();
        try
        {
            foreach (string n in Nodes) hosts.Add(await cluster.ConnectThroughAsync([n]));
            var entries = hosts.Select(h => h.Services.GetRequiredService<IClusterClient>()).ToArray();
            for (int i = 0; i < 50; i++)
            {
                // Registered through one node; the first command enters through another at once.
                int registrar = i % 3, entry = (i + 1) % 3;
                using var key = NodeKey.Generate();
                var client = new CommandSigner(key);
                var registration = cluster.Admin.Registration(App, cluster.NextAdminRequest(), true, client.ClientId, client.PublicKey);
                var registered = await RetryTransientAsync(() => entries[registrar].GetGrain<IApplicationGrain>(App).Submit(registration));

                // A rejection (unknown-client above all) fails the test at once; only a timeout on a
                // loaded machine is retried, with the same request, as a client would.
                var first = i % 2 == 0
                    ? await RetryTransientAsync(() => entries[entry].GetGrain<IApplicationGrain>(App).Submit(client.Sign(App, 1, [1])))
                    : await RetryTransientAsync(async () =>
                    {
                        using var session = await cluster.OpenSessionAsync(client, entries[entry]);
                        return await entries[entry].GetGrain<IClientGatewayGrain>(GrainKeys.For(App, session.Node)).Submit(session.Authenticate(1, [1]));
                    });

                Assert.Equal(Nodes[entry], first.Node);
                Assert.Equal(registered.State + 1, first.State);
            }
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }
        }
    }

    [Fact]
    public async Task OnlyRegisteredClientsAndTheAdministrator_CanOpenAGatewayConnection()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        using var meter = new PaxosGoMeter();
        var before = (await cluster.WaitForConvergenceAsync(Nodes, 0, Patience))[0];

        // A key no application registered; a node's own key posing as a client; no TLS at all.
        const string Refused = "paxosgo.connections.refused";
        using var unregistered = NodeKey.Generate();
        await Assert.ThrowsAnyAsync<Exception>(() => cluster.ConnectThroughAsync(Nodes, unregistered, timeout: Refusal));
        long refusals = meter.Count(Refused, "gateway");
        Assert.True(refusals >= 1, "no gateway refused the unregistered key");
        using var nodeKey = NodeKey.Load(Path.Combine(cluster.Directory, "node-a.key"));
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(cluster, c => c.UseTls(
            CertificateBinding.Create(BindingKind.Node, nodeKey.PublicKey, d => nodeKey.Sign(d), "node-a"), o => o.AllowAnyRemoteCertificate())));
        Assert.True(meter.Count(Refused, "gateway") > refusals, "no gateway refused a node's key posing as a client");
        await Assert.ThrowsAnyAsync<Exception>(() => ConnectAsync(cluster, _ => { }));

        // Registered: it connects. Revoked: never again.
        var client = await cluster.RegisterClientAsync(Patience);
        using var key = NodeKey.Generate();
        var registration = cluster.Admin.Registration(App, cluster.NextAdminRequest(), true, key.NodeId, key.PublicKey);
        await cluster.SubmitAsync(registration, Patience);
        await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        using (var connected = await cluster.ConnectThroughAsync(Nodes, key))
        {
            var reply = await connected.Services.GetRequiredService<IClusterClient>().GetGrain<IApplicationGrain>(App).Submit(new CommandSigner(key).Sign(App, 1, [1]));
            Assert.Equal(before.State + 3, reply.State);
            await connected.StopAsync();
        }

        await cluster.SubmitAsync(cluster.Admin.Registration(App, cluster.NextAdminRequest(), false, key.NodeId, key.PublicKey), Patience);
        await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        refusals = meter.Count(Refused, "gateway");
        await Assert.ThrowsAnyAsync<Exception>(() => cluster.ConnectThroughAsync(Nodes, key, timeout: Refusal));
        Assert.True(meter.Count(Refused, "gateway") > refusals, "no gateway refused the revoked key");
        Assert.NotNull(client);
    }

    [Fact]
    public async Task AFiftyMebibyteCommand_IsRefusedByTheGatewayBeforeItIsRead_AndChangesNothing()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString);
        var client = await cluster.RegisterClientAsync(Patience);
        var before = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        // The attacker raises its own client's limit so that it sends the frame at all.
        using var sender = await cluster.ConnectThroughAsync(Nodes, configure: c => c.Configure<ClientMessagingOptions>(o =>
        {
            o.MaxMessageBodySize = 200 * 1024 * 1024;
            o.ResponseTimeout = TimeSpan.FromSeconds(10);
        }));
        var command = client.Sign(App, 1, new byte[50 * 1024 * 1024]);

        var failed = await Assert.ThrowsAnyAsync<Exception>(
            () => sender.Services.GetRequiredService<IClusterClient>().GetGrain<IApplicationGrain>(App).Submit(command));

        // Never read, so never answered: the gateway closed the connection on the frame's length.
        Assert.IsNotType<CommandRejectedException>(failed);
        Assert.True(SiloLogCapture.Logged<global::Orleans.Runtime.Messaging.InvalidMessageFrameException>("Invalid body size: 5242"), "no silo refused the frame on its length");
        var after = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        Assert.All(after, r => Assert.Equal((before[0].State, before[0].NextSlot), (r.State, r.NextSlot)));
        // A command over the node's limit but under the frame limit is read, and refused with its code.
        var oversized = await Assert.ThrowsAsync<CommandRejectedException>(() => cluster.Grains.GetGrain<IApplicationGrain>(App).Submit(client.Sign(App, 1, new byte[4096])));
        Assert.Equal(CommandRejectionCodes.Oversized, oversized.Code);
        Assert.Equal(before[0].State + 1, (await cluster.SubmitAsync(client, 1, [1], Patience)).State);
    }

    [Fact]
    public async Task ANodeConfiguredWithAnotherAdministratorKey_TakesNoPartInTheLog_AndNeverDiverges()
    {
        await using var cluster = await PaxosTestCluster.StartAsync(azurite.ConnectionString, misconfiguredNode: "node-c");
        using var meter = new PaxosGoMeter();
        var client = await cluster.RegisterClientAsync(Patience);
        for (ulong r = 1; r <= 5; r++) await cluster.SubmitAsync(client, r, [1], Patience);

        var agreeing = await cluster.WaitForConvergenceAsync(["node-a", "node-b"], 1, Patience);
        Assert.All(agreeing, r => Assert.Equal(6UL, r.State));
        Assert.True(await meter.WaitForAsync("paxosgo.messages.rejected", RejectionCodes.ConfigurationMismatch, 1, Patience) >= 1);
        // node-c applied nothing: not the registration (which its administrator did not sign), nor anything after.
        var misconfigured = await cluster.Learner("node-c").GetStatus();
        Assert.Equal((0UL, 0UL), (misconfigured.State, misconfigured.NextSlot));
    }

    private static async Task<(string Node, ulong Round)> LeaderAsync(PaxosTestCluster cluster)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var statuses = await Task.WhenAll(Nodes.Select(n => cluster.Proposer(n).GetStatus()));
            var leaders = statuses.Where(s => s.Standing == "Leader").ToArray();
            if (leaders.Length == 1 && statuses.All(s => s.Leader == leaders[0].Node)) return (leaders[0].Node, leaders[0].BallotRound);
            Assert.True(DateTime.UtcNow < deadline, "no single leader that every node knows");
            await Task.Delay(100);
        }
    }

    private static async Task<T> RetryTransientAsync<T>(Func<Task<T>> call)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (TimeoutException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    // Every replica is where it was, no acceptor took the attack's huge ballot, the leader kept its
    // place, and the client's next command executes once.
    private static async Task AssertNoReplicaMovedAsync(PaxosTestCluster cluster, CommandSigner client, LearnerStatusReport[] before, (string Node, ulong Round) leader)
    {
        var after = await cluster.WaitForConvergenceAsync(Nodes, 1, Patience);
        Assert.All(after, r => Assert.Equal((before[0].State, before[0].NextSlot, before[0].Digest), (r.State, r.NextSlot, r.Digest)));
        Assert.All(await Task.WhenAll(Nodes.Select(n => cluster.Acceptor(n).GetStatus())), a => Assert.True(a.PromisedRound < 1_000_000));
        Assert.Equal(leader, await LeaderAsync(cluster));
        Assert.Equal(before[0].State + 1, (await cluster.SubmitAsync(client, 2, [1], Patience)).State);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the condition did not hold within {patience.TotalSeconds:F0} s");
            await Task.Delay(50);
        }
    }

    private static async Task WaitForStateAsync(PaxosTestCluster cluster, ulong state)
    {
        var deadline = DateTime.UtcNow + Patience;
        LearnerStatusReport[] statuses;
        while ((statuses = await Task.WhenAll(Nodes.Select(n => cluster.Learner(n).GetStatus()))).Any(s => s.State != state))
        {
            Assert.True(DateTime.UtcNow < deadline, $"not every replica reached state {state}: " + string.Join("; ", statuses.Select(s => $"{s.Node} state {s.State} next {s.NextSlot}")));
            await Task.Delay(100);
        }
    }

    private static async Task ConnectAsync(PaxosTestCluster cluster, Action<IClientBuilder> configure)
    {
        var gateways = Nodes.Select(n => cluster.SiloOf(n).GatewayAddress!.Endpoint).ToArray();
        using var host = new HostBuilder()
            .UseOrleansClient(c =>
            {
                c.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = cluster.Cluster.Options.ClusterId;
                    o.ServiceId = cluster.Cluster.Options.ServiceId;
                }).UseStaticClustering(gateways);
                configure(c);
            })
            .Build();
        try
        {
            using var connecting = new CancellationTokenSource(Refusal);
            await host.StartAsync(connecting.Token);
            // Connected: prove it by a call, then leave.
            await host.Services.GetRequiredService<IClusterClient>().GetGrain<IApplicationGrain>(App).GetState();
        }
        finally
        {
            // A refused client keeps retrying until it is stopped.
            using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await host.StopAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                // Never connected: nothing more to stop.
            }
        }
    }

    /// <summary>Sends and does not wait: answers to a forged sender go to the grain it pretends to be.</summary>
    private static void Fire(Task call) => _ = call.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
}
