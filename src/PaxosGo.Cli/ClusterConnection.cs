using System.Net;
using PaxosGo.Orleans.Hosting;
using System.CommandLine;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Transport;

namespace PaxosGo.Cli;

/// <summary>The options every command shares: where the cluster's clustering table is and which cluster to join.</summary>
internal sealed class ConnectionOptions
{
    public Option<string> Storage { get; } = new("--storage")
    {
        Description = "Azure Storage connection string of the cluster's clustering table.",
        DefaultValueFactory = _ => "UseDevelopmentStorage=true",
        Recursive = true,
    };

    public Option<string> ClusterId { get; } = new("--cluster-id")
    {
        Description = "The Orleans cluster id the silos run with.",
        DefaultValueFactory = _ => "paxosgo",
        Recursive = true,
    };

    public Option<string> ServiceId { get; } = new("--service-id")
    {
        Description = "The Orleans service id the silos run with.",
        DefaultValueFactory = _ => "paxosgo",
        Recursive = true,
    };

    public Option<string[]> Via { get; } = new("--via")
    {
        Description = "Reach the cluster only through these nodes' gateways (names in the mesh file; repeat or separate with commas), "
            + "instead of every gateway in the clustering table: for example to keep away from a node that is Active in the table but does not answer.",
        AllowMultipleArgumentsPerToken = true,
        Recursive = true,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Storage);
        command.Options.Add(ClusterId);
        command.Options.Add(ServiceId);
        command.Options.Add(Via);
    }

    public ClusterAddress Read(ParseResult parse) =>
        new(parse.GetValue(Storage)!, parse.GetValue(ClusterId)!, parse.GetValue(ServiceId)!,
            (parse.GetValue(Via) ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray());
}

/// <summary>Which cluster to connect to, and through which nodes' gateways (none: every gateway in the clustering table).</summary>
internal sealed record ClusterAddress(string Storage, string ClusterId, string ServiceId, string[] Via);

/// <summary>
/// An Orleans client connected to a PaxosGo cluster through its gateways (found in the clustering
/// table), over TLS: it presents a certificate bound to the given key (a registered client's or the
/// administrator's) and accepts only silos bound to a node of the mesh.
/// </summary>
internal sealed class ClusterConnection : IAsyncDisposable
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly IHost host;

    private ClusterConnection(IHost host)
    {
        this.host = host;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public IClusterClient Client { get; }

    /// <summary>Connects as <paramref name="key"/>, retrying until <paramref name="deadline"/> while no gateway answers (or accepts it).</summary>
    /// <exception cref="CliException">No connection by the deadline, or the connection string is invalid.</exception>
    public static async Task<ClusterConnection> ConnectAsync(ClusterAddress address, NodeKey key, Mesh mesh, DateTime deadline, CancellationToken cancellation)
    {
        TableServiceClient tables;
        try
        {
            tables = new TableServiceClient(address.Storage);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            // The message may quote the connection string; never print its secrets.
            throw new CliException($"--storage is not a valid Azure Storage connection string ({e.GetType().Name})", Cli.UsageError, e);
        }

        var gateways = await GatewaysAsync(address.Via, mesh, cancellation).ConfigureAwait(false);

        // No logging providers: the client's own logs would drown the output.
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = address.ClusterId;
                o.ServiceId = address.ServiceId;
            });
            if (gateways.Length == 0) client.UseAzureStorageClustering(o => o.TableServiceClient = tables);
            else client.UseStaticClustering(gateways);
            client.UsePaxosGoTls(key, mesh);
            client.UseConnectionRetryFilter(async (_, token) =>
            {
                if (DateTime.UtcNow + RetryDelay >= deadline)
                {
                    return false;
                }

                await Task.Delay(RetryDelay, token).ConfigureAwait(false);
                return true;
            });
        });

        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellation).ConfigureAwait(false);
            return new ClusterConnection(host);
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            host.Dispose();
            throw new CliException(
                $"cannot connect to cluster '{address.ClusterId}' (service '{address.ServiceId}') as {key.NodeId[..12]}…: {ErrorText.Describe(e)} " +
                "(gateways accept only registered clients and the administrator, over TLS)", e);
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    // The gateway endpoints of the named nodes, from the mesh.
    private static async Task<IPEndPoint[]> GatewaysAsync(string[] via, Mesh mesh, CancellationToken cancellation)
    {
        var gateways = new List<IPEndPoint>(via.Length);
        foreach (var name in via.Distinct(StringComparer.Ordinal))
        {
            var node = mesh.FindByName(name) ?? throw new CliException($"--via names '{name}', which is not a node of the mesh ({string.Join(", ", mesh.Nodes.Select(n => n.Name))})", Cli.UsageError);
            var endpoints = node.Endpoints;
            var address = IPAddress.TryParse(endpoints.Host, out var ip)
                ? ip
                : (await Dns.GetHostAddressesAsync(endpoints.Host, cancellation).ConfigureAwait(false)).FirstOrDefault()
                    ?? throw new CliException($"--via: the host '{endpoints.Host}' of node '{name}' has no address");
            gateways.Add(new IPEndPoint(address, endpoints.GatewayPort));
        }

        return gateways.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        using (var stop = new CancellationTokenSource(StopTimeout))
        {
            try
            {
                await host.StopAsync(stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Closing the gateway connections took too long; disposing drops them.
            }
        }

        host.Dispose();
    }
}
