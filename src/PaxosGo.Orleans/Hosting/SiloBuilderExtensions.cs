using PaxosGo.Orleans.Commands;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Placement;
using PaxosGo.Orleans.Storage;
using PaxosGo.Orleans.Transport;

namespace PaxosGo.Orleans.Hosting;

/// <summary>Adds PaxosGo to an Orleans silo.</summary>
public static class SiloBuilderExtensions
{
    /// <summary>The largest Orleans message body a PaxosGo silo reads: the largest envelope payload and 1 MiB for the rest.</summary>
    public const int MaxMessageBodyBytes = EnvelopeEncoding.MaxPayloadBytes + 1024 * 1024;

    /// <summary>
    /// Makes this silo the PaxosGo node <paramref name="identity"/>: names the silo after the node (so
    /// pinned grains find it), registers the pinned placement, the node's signing and verifying, TLS on
    /// every Orleans link (silo links only with mesh nodes, the gateway only with registered clients
    /// and the administrator: <see cref="NodeTls"/>), a frame-size limit that refuses oversized
    /// messages before they are read, the allowlist that keeps clients on the client surface
    /// (<see cref="ClientSurfaceCallFilter"/>), and a start-up task that activates this node's proposer
    /// and learner of every application. Storage comes separately (<see cref="AddPaxosGoAzureStorage"/>).
    /// </summary>
    public static ISiloBuilder AddPaxosGo(this ISiloBuilder builder, NodeIdentity identity, Action<PaxosGoOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(identity);
        builder.Services.AddSingleton(identity);
        var options = builder.Services.AddOptions<PaxosGoOptions>();
        if (configure is not null) options.Configure(configure);
        options.Validate(o =>
        {
            o.Validate();
            return true;
        });
        builder.Services.AddSingleton<PaxosGoNode>();
        builder.Services.AddSingleton(static services =>
        {
            var node = services.GetRequiredService<PaxosGoNode>();
            return new ClientSessionTable(node.Options.MaxSessions, node.Options.SessionIdleTimeout, services.GetService<TimeProvider>());
        });
        builder.Configure<SiloOptions>(o => o.SiloName = identity.Name);
        builder.AddPlacementDirector<NodePinnedPlacement, NodePinnedPlacementDirector>();
        // Pinned grains are found through placement, never through another silo's directory partition.
        builder.AddGrainDirectory(PinnedGrainDirectory.Name, static (_, _) => new PinnedGrainDirectory());
        builder.AddIncomingGrainCallFilter<ClientSurfaceCallFilter>();
        builder.Services.AddSingleton<ClientRegistry>();
        builder.Services.AddSingleton<NodeLinks>();
        builder.Services.AddSingleton<NodeTls>();
        builder.Services.AddSingleton<MetricTotals>();
        builder.Services.AddSingleton<Applications.LocalReplicas>();
        builder.Configure<SiloConnectionOptions>(o =>
        {
            o.ConfigureSiloInboundConnection(c => c.UseServerTls(c.ApplicationServices.GetRequiredService<NodeTls>().SiloInbound));
            o.ConfigureSiloOutboundConnection(c => c.UseClientTls(c.ApplicationServices.GetRequiredService<NodeTls>().SiloOutbound));
            o.ConfigureGatewayInboundConnection(c => c.UseServerTls(c.ApplicationServices.GetRequiredService<NodeTls>().Gateway));
        });
        // Orleans reads a frame's length first: a message larger than any protocol envelope is refused,
        // and its connection closed, before its body is read into memory.
        builder.Configure<SiloMessagingOptions>(o => o.MaxMessageBodySize = MaxMessageBodyBytes);
        builder.AddStartupTask(static (services, cancellation) =>
        {
            // Activate in the background: placement needs this silo to be Active in membership first.
            _ = ActivateLocalGrainsAsync(services, cancellation);
            return Task.CompletedTask;
        });
        return builder;
    }

    /// <summary>
    /// Keeps PaxosGo's durable state in Azure Storage (Azurite in development): the node's journal of
    /// every acceptor's and proposer's changes (<see cref="PaxosGoOptions.Journal"/>: rows of the table
    /// <see cref="AzureTableNodeLog.TableNameFor"/>(<paramref name="container"/>), or one append blob),
    /// with checkpoint blobs in <paramref name="container"/>, and each learner's snapshot (one blob per
    /// application, through Orleans' blob grain storage).
    /// </summary>
    public static ISiloBuilder AddPaxosGoAzureStorage(this ISiloBuilder builder, string connectionString, string container = "paxosgo")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        builder.Services.AddSingleton<INodeLog>(services =>
        {
            var node = services.GetRequiredService<PaxosGoNode>();
            var blobs = new BlobServiceClient(connectionString).GetBlobContainerClient(container);
            return node.Options.Journal switch
            {
                JournalStorage.AppendBlob => new AzureAppendBlobNodeLog(
                    blobs, node.Identity.Name, services.GetRequiredService<ILogger<AzureAppendBlobNodeLog>>(), node.Options.JournalCheckpointEvery),
                _ => (INodeLog)new AzureTableNodeLog(
                    new TableClient(connectionString, AzureTableNodeLog.TableNameFor(container)),
                    blobs,
                    node.Identity.Name,
                    services.GetRequiredService<ILogger<AzureTableNodeLog>>(),
                    node.Options.JournalCheckpointEvery),
            };
        });
        return builder.AddAzureBlobGrainStorage(PaxosGoOptions.StorageProviderName, o =>
        {
            o.BlobServiceClient = new BlobServiceClient(connectionString);
            o.ContainerName = container;
        });
    }

    private static async Task ActivateLocalGrainsAsync(IServiceProvider services, CancellationToken cancellation)
    {
        var node = services.GetRequiredService<PaxosGoNode>();
        var grains = services.GetRequiredService<IGrainFactory>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SiloBuilderExtensions).FullName!);
        foreach (var application in node.Options.Applications)
        {
            string key = GrainKeys.For(application, node.Identity.Name);
            for (int attempt = 1; !cancellation.IsCancellationRequested; attempt++)
            {
                try
                {
                    await grains.GetGrain<IProposerGrain>(key).GetStatus();
                    await grains.GetGrain<IAcceptorGrain>(key).GetStatus(); // tells the proposer of votes its learner may lack
                    await grains.GetGrain<ILearnerGrain>(key).GetStatus();
                    Log.ApplicationStarted(logger, node.Identity.Name, application);
                    break;
                }
                catch (Exception e) when (!cancellation.IsCancellationRequested)
                {
                    if (attempt % 25 == 0) Log.StillActivating(logger, e, application, node.Identity.Name);
                    await Task.Delay(TimeSpan.FromMilliseconds(200), cancellation);
                }
            }
        }
    }
}
