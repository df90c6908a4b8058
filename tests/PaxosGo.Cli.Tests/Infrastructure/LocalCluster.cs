using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PaxosGo.Orleans.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Cli.Tests.Infrastructure;

/// <summary>
/// A running 3-node PaxosGo cluster, set up the way <c>deploy/local-cluster.sh</c> sets one up:
/// node keys with <c>paxosgo-silo keygen</c>, the mesh with <c>paxosgo-silo mesh add</c>, an
/// administrator key with <c>paxosgo keygen</c>, and three <c>paxosgo-silo run</c> processes with the
/// administrator's public key, on Azurite. Everything is private to one instance: a temp folder, free
/// TCP ports, and a cluster id, service id and blob container of its own. Ready once every node
/// answers <c>paxosgo state</c> and a client (<see cref="ClientKey"/>) is registered, which also
/// elects a leader. Disposing stops the silos (SIGTERM, then SIGKILL) and deletes the folder.
/// </summary>
[SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "xunit disposes the fixture through IAsyncLifetime.DisposeAsync, which disposes Azurite.")]
public sealed partial class LocalCluster : IAsyncLifetime
{
    public const string App = "counter";

    private static readonly string[] NodeNames = ["node-a", "node-b", "node-c"];
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly List<SiloProcess> _silos = [];
    private string _adminPublicKey = "";
    private AzuriteFixture? _azurite;
    private long _nextRequest;

    public LocalCluster()
    {
        var run = Guid.NewGuid().ToString("N")[..12];
        ClusterId = "cli-test-" + run;
        ServiceId = "cli-test-" + run;
        Container = "cli-test-" + run;
        Directory = System.IO.Directory.CreateTempSubdirectory("paxosgo-cli-test-").FullName;
    }

    /// <summary>The node names, sorted.</summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Tests read it from the injected fixture instance.")]
    public IReadOnlyList<string> Nodes => NodeNames;

    public string ClusterId { get; }

    public string ServiceId { get; }

    public string Container { get; }

    public string Storage => _azurite?.ConnectionString ?? "UseDevelopmentStorage=true";

    /// <summary>This cluster's temp folder (keys, mesh, working directories).</summary>
    public string Directory { get; }

    public string MeshFile => Path.Combine(Directory, "mesh.json");

    /// <summary>The administrator's key file; the silos run with its public key.</summary>
    public string AdminKey => Path.Combine(Directory, "admin.key");

    /// <summary>A client key registered for <see cref="App"/> while the cluster started.</summary>
    public string ClientKey => Path.Combine(Directory, "client.key");

    /// <summary>The arguments that point the CLI at this cluster.</summary>
    public IReadOnlyList<string> ConnectionArguments => ["--storage", Storage, "--cluster-id", ClusterId, "--service-id", ServiceId];

    /// <summary>A request id for <see cref="ClientKey"/>, larger than every one handed out before.</summary>
    public ulong NextRequestId() => (ulong)Interlocked.Increment(ref _nextRequest);

    /// <summary>Runs <c>paxosgo ARGS</c> (no connection arguments added) in this cluster's folder.</summary>
    internal Task<ProcessResult> RunCliAsync(params string[] args) =>
        Executables.RunAsync(Executables.Cli, args, Directory, CommandTimeout);

    /// <summary>Runs <c>paxosgo CONNECTION ARGS</c>: the command against this cluster.</summary>
    internal Task<ProcessResult> RunCliOnClusterAsync(params string[] args) =>
        RunCliAsync([.. ConnectionArguments, .. args]);

    /// <summary>The silo process of <paramref name="node"/>.</summary>
    internal SiloProcess SiloOf(string node) => _silos.Single(s => s.Node == node);

    /// <summary>The status Orleans' membership table gives <paramref name="node"/>'s silo (its newest row): Active, Dead, ….</summary>
    public async Task<string?> MembershipStatusAsync(string node)
    {
        var table = new Azure.Data.Tables.TableClient(Storage, "OrleansSiloInstances");
        string? status = null;
        long generation = long.MinValue;
        await foreach (var row in table.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == ClusterId).ConfigureAwait(false))
        {
            if (row.GetString("SiloName") != node || !long.TryParse(row.GetString("Generation"), CultureInfo.InvariantCulture, out long g) || g < generation)
            {
                continue;
            }

            generation = g;
            status = row.GetString("Status");
        }

        return status;
    }

    /// <summary>The last lines every silo printed.</summary>
    public string Logs() => string.Join(Environment.NewLine, _silos.Select(s => s.Log()));

    /// <summary>The last lines of the member silos' logs (not a non-member's).</summary>
    public string MemberLogs() => string.Join(Environment.NewLine, _silos.Where(s => NodeNames.Contains(s.Node)).Select(s => s.Log()));

    public async Task InitializeAsync()
    {
        try
        {
            await StartAsync().ConfigureAwait(false);
        }
        catch
        {
            // Stop whatever did start right away; DisposeAsync may run again later and then does nothing.
            await DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= KillSilos;
        foreach (var silo in _silos)
        {
            silo.RequestStop();
        }

        foreach (var silo in _silos)
        {
            if (!await silo.WaitForExitAsync(StopTimeout).ConfigureAwait(false))
            {
                Console.Error.WriteLine($"LocalCluster: {silo.Node} still running {StopTimeout.TotalSeconds:0} s after SIGTERM; killing it");
            }

            silo.Dispose();
        }

        _silos.Clear();
        _azurite?.Dispose();
        _azurite = null;
        try
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"LocalCluster: could not delete {Directory}: {e.Message}");
        }
    }

    private async Task StartAsync()
    {
        _azurite = new AzuriteFixture();
        var ports = FreePorts(4 * NodeNames.Length);

        // Node keys and the mesh, as deploy/local-cluster.sh makes them.
        var keygens = NodeNames.Select(node => Silo("keygen", "--out", NodeKey(node))).ToArray();
        foreach (var keygen in await Task.WhenAll(keygens).ConfigureAwait(false))
        {
            Check(keygen);
        }

        for (var i = 0; i < NodeNames.Length; i++)
        {
            Check(await Silo(
                "mesh", "add", "--mesh", MeshFile, "--name", NodeNames[i], "--key", NodeKey(NodeNames[i]), "--host", "127.0.0.1",
                "--silo-port", Text(ports[4 * i]), "--gateway-port", Text(ports[(4 * i) + 1]),
                "--http-port", Text(ports[(4 * i) + 2]), "--dns-port", Text(ports[(4 * i) + 3])).ConfigureAwait(false));
        }

        var admin = Check(await RunCliAsync("keygen", "--out", AdminKey).ConfigureAwait(false));
        var adminPublicKey = PublicKeyLine().Match(admin.Stdout) is { Success: true } match
            ? match.Groups[1].Value
            : throw new InvalidOperationException("paxosgo keygen printed no public key:" + Environment.NewLine + admin);
        _adminPublicKey = adminPublicKey;

        AppDomain.CurrentDomain.ProcessExit += KillSilos;
        foreach (var node in NodeNames)
        {
            // A working directory of its own, so no paxosgo.json is picked up.
            var workingDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, node)).FullName;
            _silos.Add(SiloProcess.Start(node, workingDirectory,
            [
                $"--PaxosGo:Node={node}",
                $"--PaxosGo:KeyFile={NodeKey(node)}",
                $"--PaxosGo:MeshFile={MeshFile}",
                $"--PaxosGo:AdminPublicKey={adminPublicKey}",
                $"--PaxosGo:Storage={Storage}",
                $"--PaxosGo:ClusterId={ClusterId}",
                $"--PaxosGo:ServiceId={ServiceId}",
                $"--PaxosGo:Container={Container}",
            ]));
        }

        await WaitUntilEveryNodeAnswersAsync().ConfigureAwait(false);

        Check(await RunCliAsync("keygen", "--out", ClientKey).ConfigureAwait(false));
        Check(await RunCliOnClusterAsync("register", "--app", App, "--mesh", MeshFile, "--admin-key", AdminKey, "--client-key", ClientKey, "--timeout", "60").ConfigureAwait(false));
    }

    private async Task WaitUntilEveryNodeAnswersAsync()
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            var state = await RunCliOnClusterAsync("state", "--app", App, "--mesh", MeshFile).ConfigureAwait(false);
            if (state.ExitCode == 0)
            {
                return;
            }

            if (_silos.FirstOrDefault(s => s.HasExited) is { } exited)
            {
                throw new InvalidOperationException($"{exited.Node} exited while the cluster started.{Environment.NewLine}{state}{Environment.NewLine}{Logs()}");
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException(
                    $"the cluster did not answer within {ReadyTimeout.TotalSeconds:0} s.{Environment.NewLine}{state}{Environment.NewLine}{Logs()}");
            }

            await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        }
    }

    private void KillSilos(object? sender, EventArgs e)
    {
        foreach (var silo in _silos)
        {
            silo.Dispose();
        }
    }

    /// <summary>
    /// Starts a <c>paxosgo-silo</c> that is not a member: it has the storage connection string, the
    /// cluster and service ids, the container and the administrator's public key, and calls itself
    /// <paramref name="impersonated"/>, but with a key of its own (in a mesh file of its own that lists
    /// it under that name, on ports of its own, beside the real other nodes).
    /// </summary>
    internal async Task<SiloProcess> StartNonMemberAsync(string impersonated)
    {
        string rogueDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "rogue")).FullName;
        string keyFile = Path.Combine(rogueDirectory, "rogue.key");
        Check(await Silo("keygen", "--out", keyFile).ConfigureAwait(false));
        using var key = PaxosGo.Orleans.Identity.NodeKey.Load(keyFile);
        var ports = FreePorts(4);
        var realMesh = PaxosGo.Orleans.Identity.Mesh.Load(MeshFile);
        var rogueMesh = PaxosGo.Orleans.Identity.Mesh.Create(realMesh.Nodes.Select(n => n.Name == impersonated
            ? PaxosGo.Orleans.Identity.MeshNode.For(n.Name, key, new PaxosGo.Orleans.Identity.MeshEndpoints("127.0.0.1", ports[0], ports[1], ports[2], ports[3]))
            : n));
        string meshFile = Path.Combine(rogueDirectory, "mesh.json");
        await File.WriteAllTextAsync(meshFile, rogueMesh.ToJson()).ConfigureAwait(false);
        var silo = SiloProcess.Start("rogue " + impersonated, rogueDirectory,
        [
            $"--PaxosGo:Node={impersonated}",
            $"--PaxosGo:KeyFile={keyFile}",
            $"--PaxosGo:MeshFile={meshFile}",
            $"--PaxosGo:AdminPublicKey={_adminPublicKey}",
            $"--PaxosGo:Storage={Storage}",
            $"--PaxosGo:ClusterId={ClusterId}",
            $"--PaxosGo:ServiceId={ServiceId}",
            $"--PaxosGo:Container={Container}",
        ]);
        _silos.Add(silo); // stopped with the cluster
        return silo;
    }

    private string NodeKey(string node) => Path.Combine(Directory, node + ".key");

    private Task<ProcessResult> Silo(params string[] args) =>
        Executables.RunAsync(Executables.Silo, args, Directory, CommandTimeout);

    private ProcessResult Check(ProcessResult result) =>
        result.ExitCode == 0
            ? result
            : throw new InvalidOperationException($"setting up the cluster failed:{Environment.NewLine}{result}{Environment.NewLine}{Logs()}");

    private static string Text(int number) => number.ToString(CultureInfo.InvariantCulture);

    /// <summary><paramref name="count"/> distinct TCP ports that were free on 127.0.0.1 (all bound at once, then released).</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = new List<TcpListener>();
        try
        {
            for (var i = 0; i < count; i++)
            {
                var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                listeners.Add(listener);
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    [GeneratedRegex(@"^public key:\s+([0-9a-f]{64})\s*$", RegexOptions.Multiline)]
    private static partial Regex PublicKeyLine();
}
