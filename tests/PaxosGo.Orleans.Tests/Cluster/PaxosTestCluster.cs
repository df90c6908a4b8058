using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;
using PaxosGo.NameServer.Hosting;
using PaxosGo.Orleans.Applications;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Transport;

namespace PaxosGo.Orleans.Tests.Cluster;

/// <summary>
/// A real 3-node PaxosGo cluster in one process: Orleans TestCluster silos, each with its own node
/// identity from its own key file, Azure Table clustering and Azure Blob grain storage on Azurite.
/// </summary>
internal sealed class PaxosTestCluster : IAsyncDisposable
{
    public static readonly string[] Nodes = ["node-a", "node-b", "node-c"];
    public const string Application = "counter";

    private long _adminRequest = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000;

    private PaxosTestCluster(TestCluster cluster, string directory)
    {
        Cluster = cluster;
        Directory = directory;
        AdminKey = NodeKey.Load(Path.Combine(directory, "admin.key"));
        Admin = CommandSigner.ForAdministrator(AdminKey);
    }

    public NodeKey AdminKey { get; }

    private bool _keepDirectory;

    /// <summary>Signs administrative commands.</summary>
    public CommandSigner Admin { get; }

    public TestCluster Cluster { get; }

    /// <summary>Where the key files and the mesh file live; starting again from it reuses the identities.</summary>
    public string Directory { get; }

    /// <summary>The cluster's mesh (clients check session grants against it).</summary>
    public Mesh Mesh => Mesh.Load(Path.Combine(Directory, "mesh.json"));

    public IGrainFactory Grains => Cluster.Client;

    /// <summary>
    /// Starts three silos. Reusing <paramref name="directory"/> and <paramref name="container"/> restarts the
    /// same cluster on the same storage. The directory (keys, mesh) is deleted on dispose unless <paramref name="keepDirectory"/>.
    /// </summary>
    /// <param name="connectionString">The storage.</param>
    /// <param name="directory">Where keys and mesh live (reuse it to restart the same cluster).</param>
    /// <param name="container">The blob container.</param>
    /// <param name="keepDirectory">Keep the directory on dispose.</param>
    /// <param name="misconfiguredNode">A node started with another administrator key than the others (a misconfiguration).</param>
    /// <param name="withTally">Also run the tally application of docs/write-your-own-application.md.</param>
    /// <param name="withNameServer">Also run the name server (application <c>dns</c>, zone files in <see cref="ZoneContainerOf"/>, DNS on each node's mesh port).</param>
    public static async Task<PaxosTestCluster> StartAsync(
        string connectionString, string? directory = null, string? container = null, bool keepDirectory = false, string? misconfiguredNode = null, bool withTally = false, bool withNameServer = false)
    {
        directory ??= Path.Combine(Path.GetTempPath(), "paxosgo-test-" + Guid.NewGuid().ToString("N")[..12]);
        container ??= "paxosgo-" + Guid.NewGuid().ToString("N")[..16];
        WriteIdentities(directory);
        var builder = new TestClusterBuilder(3);
        builder.Options.ServiceId = "paxosgo-test";
        builder.Options.ClusterId = "c" + Guid.NewGuid().ToString("N")[..12];
        builder.Options.UseTestClusterMembership = false;
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket; // real sockets: clients can pick a gateway
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["PaxosGoTest:Directory"] = directory,
            ["PaxosGoTest:Storage"] = connectionString,
            ["PaxosGoTest:Container"] = container,
            ["PaxosGoTest:MisconfiguredNode"] = misconfiguredNode,
            ["PaxosGoTest:Tally"] = withTally ? "true" : null,
            ["PaxosGoTest:NameServer"] = withNameServer ? "true" : null,
        }));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new PaxosTestCluster(cluster, directory) { _keepDirectory = keepDirectory, Container = container };
    }

    /// <summary>The mesh node a TestCluster silo plays: Primary is node-a, Secondary_1 node-b, Secondary_2 node-c.</summary>
    public static string NodeOfSilo(string siloName) => siloName switch
    {
        "Primary" => Nodes[0],
        _ when siloName.StartsWith("Secondary_", StringComparison.Ordinal) => Nodes[int.Parse(siloName["Secondary_".Length..], System.Globalization.CultureInfo.InvariantCulture)],
        _ => throw new ArgumentException($"unexpected silo name {siloName}", nameof(siloName)),
    };

    public SiloHandle SiloOf(string node)
    {
        lock (_restarted)
        {
            return _restarted.LastOrDefault(s => NodeOfSilo(s.Name) == node && s.IsActive)
                ?? Cluster.Silos.Single(s => NodeOfSilo(s.Name) == node);
        }
    }

    /// <summary>The PaxosGo node services of <paramref name="node"/>'s silo (in this process): what an insider of that node holds.</summary>
    public PaxosGoNode NodeServices(string node) =>
        ((InProcessSiloHandle)SiloOf(node)).ServiceProvider.GetRequiredService<PaxosGoNode>();

    /// <summary>The blob container of a test cluster's zone files (beside its own container).</summary>
    public static string ZoneContainerOf(string container) => container + "-zones";

    /// <summary>The blob container of this cluster's zone files.</summary>
    public string ZoneContainer => ZoneContainerOf(Container);

    /// <summary>The blob container of this cluster's grain state and journals.</summary>
    public string Container { get; private init; } = "";

    /// <summary>The DNS endpoint of <paramref name="node"/> (its mesh entry).</summary>
    public System.Net.IPEndPoint DnsEndPoint(string node) =>
        new(System.Net.IPAddress.Loopback, Mesh.Nodes.Single(n => n.Name == node).Endpoints.DnsPort);

    /// <summary>The services of <paramref name="node"/>'s silo (in this process).</summary>
    public IServiceProvider SiloServices(string node) => ((InProcessSiloHandle)SiloOf(node)).ServiceProvider;

    /// <summary>The links of <paramref name="node"/>'s silo to the other nodes.</summary>
    public global::PaxosGo.Orleans.Transport.NodeLinks Links(string node) =>
        ((InProcessSiloHandle)SiloOf(node)).ServiceProvider.GetRequiredService<global::PaxosGo.Orleans.Transport.NodeLinks>();

    /// <summary>The digest every node of this cluster signs its envelopes under.</summary>
    public byte[] ClusterDigest => global::PaxosGo.Orleans.Identity.ClusterDigest.Compute(Mesh, AdminKey.PublicKey);

    /// <summary>An Orleans client that can reach the cluster only through <paramref name="node"/>'s gateway.</summary>
    public Task<Microsoft.Extensions.Hosting.IHost> ConnectThroughAsync(string node) => ConnectThroughAsync([node]);

    /// <summary>
    /// An Orleans client that can reach the cluster only through the gateways of <paramref name="nodes"/>,
    /// over TLS as <paramref name="key"/> (default: the administrator, whom every gateway accepts).
    /// </summary>
    public async Task<Microsoft.Extensions.Hosting.IHost> ConnectThroughAsync(string[] nodes, NodeKey? key = null, Action<IClientBuilder>? configure = null, TimeSpan? timeout = null)
    {
        var gateways = nodes.Select(node => (SiloOf(node).GatewayAddress ?? throw new InvalidOperationException($"{node} has no gateway")).Endpoint).ToArray();
        var host = new Microsoft.Extensions.Hosting.HostBuilder()
            .UseOrleansClient(c =>
            {
                c.Configure<global::Orleans.Configuration.ClusterOptions>(o =>
                    {
                        o.ClusterId = Cluster.Options.ClusterId;
                        o.ServiceId = Cluster.Options.ServiceId;
                    })
                    .UseStaticClustering(gateways)
                    .UsePaxosGoTls(key ?? AdminKey, Mesh);
                configure?.Invoke(c);
            })
            .Build();
        using var connecting = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            await host.StartAsync(connecting.Token);
        }
        catch
        {
            // A refused client keeps retrying until it is stopped: stop it before it goes.
            using (var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
            {
                try
                {
                    await host.StopAsync(stopping.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
                {
                    // Never connected: nothing more to stop.
                }
            }

            host.Dispose();
            throw;
        }

        return host;
    }

    /// <summary>
    /// Starts the silo of a node that was killed, with the same node identity (same silo name).
    /// TestCluster does not track a silo started this way: this cluster does, and stops it on dispose.
    /// </summary>
    public async Task RestartAsync(string node)
    {
        int instance = Array.IndexOf(Nodes, node);
        var silo = await Cluster.StartSiloAsync(instance, Cluster.Options);
        lock (_restarted) _restarted.Add(silo);
    }

    private readonly List<SiloHandle> _restarted = new();

    public ILearnerGrain Learner(string node) => Grains.GetGrain<ILearnerGrain>(GrainKeys.For(Application, node));

    public IProposerGrain Proposer(string node) => Grains.GetGrain<IProposerGrain>(GrainKeys.For(Application, node));

    public IAcceptorGrain Acceptor(string node) => Grains.GetGrain<IAcceptorGrain>(GrainKeys.For(Application, node));

    /// <summary>A new client with a fresh key, registered for the application through Paxos.</summary>
    public async Task<CommandSigner> RegisterClientAsync(TimeSpan within)
    {
        var key = NodeKey.Generate();
        await SubmitAsync(Admin.Registration(Application, NextAdminRequest(), true, key.NodeId, key.PublicKey), within);
        return new CommandSigner(key);
    }

    /// <summary>Opens a session for <paramref name="client"/> through whichever node the call reaches, checking the grant against the mesh.</summary>
    public async Task<ClientSession> OpenSessionAsync(CommandSigner client, IGrainFactory? through = null)
    {
        var (ephemeral, request) = ClientSession.Begin(client, Application);
        using (ephemeral)
        {
            var grant = await (through ?? Grains).GetGrain<IApplicationGrain>(Application).OpenSession(request);
            return ClientSession.Complete(ephemeral, request, grant, Mesh);
        }
    }

    /// <summary>The client gateway of a node.</summary>
    public IClientGatewayGrain Gateway(string node) => Grains.GetGrain<IClientGatewayGrain>(GrainKeys.For(Application, node));

    /// <summary>The next administrative request id (increasing).</summary>
    public ulong NextAdminRequest() => (ulong)Interlocked.Increment(ref _adminRequest);

    /// <summary>Submits like a real client: on failure or timeout it retries the same request id until <paramref name="within"/> runs out; a rejection is final.</summary>
    public Task<CommandReply> SubmitAsync(CommandSigner client, ulong requestId, byte[] payload, TimeSpan within) =>
        SubmitAsync(client.Sign(Application, requestId, payload), within);

    /// <summary>Submits a signed command, retrying (same request id) until <paramref name="within"/> runs out; a rejection is final.</summary>
    public async Task<CommandReply> SubmitAsync(SignedCommand command, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                return await Grains.GetGrain<IApplicationGrain>(command.Application).Submit(command).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception e) when (e is not CommandRejectedException)
            {
                last = e;
                await Task.Delay(200);
            }
        }

        throw new TimeoutException($"{command.ClientId}#{command.RequestId} did not commit within {within}", last);
    }

    /// <summary>Waits until every listed node's learner reports the same frontier and digest, at least <paramref name="atLeast"/>.</summary>
    public async Task<LearnerStatusReport[]> WaitForConvergenceAsync(IEnumerable<string> nodes, ulong atLeast, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        LearnerStatusReport[] statuses = [];
        while (true)
        {
            try
            {
                statuses = await Task.WhenAll(nodes.Select(n => Learner(n).GetStatus()));
                if (statuses.All(s => s.NextSlot >= atLeast && s.NextSlot == statuses[0].NextSlot && s.Digest == statuses[0].Digest))
                {
                    return statuses;
                }
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                // a node may still be activating
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException("replicas did not converge: " + string.Join("; ", statuses.Select(s => $"{s.Node} next {s.NextSlot} state {s.State} digest {s.Digest[..8]}")));
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        AdminKey.Dispose();
        try
        {
            SiloHandle[] restarted;
            lock (_restarted) restarted = _restarted.ToArray();
            foreach (var silo in restarted.Where(s => s.IsActive))
            {
                try
                {
                    await silo.StopSiloAsync(stopGracefully: true);
                }
                catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or ObjectDisposedException)
                {
                    // Stopping anyway.
                }
            }

            await Cluster.StopAllSilosAsync();
        }
        finally
        {
            await Cluster.DisposeAsync();
            if (!_keepDirectory && System.IO.Directory.Exists(Directory)) System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    private static void WriteIdentities(string directory)
    {
        string meshPath = Path.Combine(directory, "mesh.json");
        if (File.Exists(meshPath)) return;
        System.IO.Directory.CreateDirectory(directory);
        var nodes = new List<MeshNode>();
        for (int i = 0; i < Nodes.Length; i++)
        {
            using var key = NodeKey.Generate();
            key.Save(Path.Combine(directory, Nodes[i] + ".key"));
            nodes.Add(MeshNode.For(Nodes[i], key, new MeshEndpoints("127.0.0.1", 21111 + i, 31000 + i, 28080 + i, 25353 + i)));
        }

        File.WriteAllText(meshPath, Mesh.Create(nodes).ToJson());
        using var admin = NodeKey.Generate();
        admin.Save(Path.Combine(directory, "admin.key"));
        using var otherAdmin = NodeKey.Generate();
        otherAdmin.Save(Path.Combine(directory, "other-admin.key"));
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var config = siloBuilder.Configuration;
            string directory = config["PaxosGoTest:Directory"]!;
            string storage = config["PaxosGoTest:Storage"]!;
            string node = NodeOfSilo(config["Orleans:Name"]!);
            var mesh = Mesh.Load(Path.Combine(directory, "mesh.json"));
            var key = NodeKey.Load(Path.Combine(directory, node + ".key"));
            var identity = NodeIdentity.Create(mesh, key, node);
            bool misconfigured = config["PaxosGoTest:MisconfiguredNode"] == node;
            using var admin = NodeKey.Load(Path.Combine(directory, misconfigured ? "other-admin.key" : "admin.key"));
            string adminPublicKey = Convert.ToHexStringLower(admin.PublicKey);
            siloBuilder.Services.AddLogging(l => l.AddProvider(new Infrastructure.SiloLogCapture()));
            siloBuilder
                .AddPaxosGo(identity, o =>
                {
                    o.ResultTimeout = TimeSpan.FromSeconds(4);
                    o.AdminPublicKey = adminPublicKey;
                    o.MaxCommandBytes = 1024;
                })
                .AddApplication<PaxosGo.Core.CounterStateMachine>(Application)
                .AddPaxosGoAzureStorage(storage, config["PaxosGoTest:Container"]!)
                .UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(storage));
            if (config["PaxosGoTest:Tally"] == "true") Tally.TallySilo.AddTally(siloBuilder);
            if (config["PaxosGoTest:NameServer"] == "true")
            {
                siloBuilder.AddNameServer(storage, o =>
                {
                    o.Container = ZoneContainerOf(config["PaxosGoTest:Container"]!);
                    o.RetryInterval = TimeSpan.FromSeconds(1);
                });
            }
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder)
        {
            string storage = configuration["PaxosGoTest:Storage"]!;
            string directory = configuration["PaxosGoTest:Directory"]!;
            clientBuilder.UseAzureStorageClustering(o => o.TableServiceClient = new TableServiceClient(storage));
            // The test's own client connects as the administrator (every gateway accepts it); the
            // clients it registers authenticate their commands with their own keys over this connection.
            using var admin = NodeKey.Load(Path.Combine(directory, "admin.key"));
            clientBuilder.UsePaxosGoTls(admin, Mesh.Load(Path.Combine(directory, "mesh.json")));
        }
    }
}
