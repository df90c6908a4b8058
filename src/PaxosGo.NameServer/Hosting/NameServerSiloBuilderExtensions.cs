using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PaxosGo.NameServer.Dns;
using PaxosGo.NameServer.Storage;
using PaxosGo.NameServer.Zones;
using PaxosGo.Orleans.Applications;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.NameServer.Hosting;

/// <summary>Adds the name server to a PaxosGo silo, through PaxosGo's public surface like any application.</summary>
public static class NameServerSiloBuilderExtensions
{
    /// <summary>
    /// Runs the name server on this silo (after <c>AddPaxosGo</c>): the application
    /// <see cref="NameServerOptions.Application"/> with the <see cref="ZoneMapStateMachine"/>, the
    /// <see cref="ZoneCommandValidator"/> at the entry node, zone files in the blob container
    /// <see cref="NameServerOptions.Container"/> of <paramref name="storageConnectionString"/>, the
    /// <see cref="ZoneCatalog"/> that follows the local replica, and the <see cref="DnsFrontEnd"/> on
    /// the node's DNS port from the mesh.
    /// </summary>
    public static ISiloBuilder AddNameServer(this ISiloBuilder builder, string storageConnectionString, Action<NameServerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(storageConnectionString);
        var options = new NameServerOptions();
        configure?.Invoke(options);
        options.Validate();
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(_ => new ZoneFileStore(new BlobServiceClient(storageConnectionString).GetBlobContainerClient(options.Container)));
        builder.AddApplication<ZoneMapStateMachine>(options.Application);
        builder.AddCommandValidator<ZoneCommandValidator>(options.Application);
        builder.Services.AddSingleton(services => new ZoneCatalog(
            services.GetRequiredService<LocalReplicas>(),
            services.GetRequiredService<ZoneFileStore>(),
            options.Application,
            options.RetryInterval,
            services.GetRequiredService<ILogger<ZoneCatalog>>()));
        builder.Services.AddHostedService(services => services.GetRequiredService<ZoneCatalog>());
        builder.Services.AddSingleton(services =>
        {
            var identity = services.GetRequiredService<NodeIdentity>();
            var endpoints = identity.Node.Endpoints;
            var address = options.ListenOnAnyAddress ? IPAddress.Any : Resolve(endpoints.Host);
            return new DnsFrontEnd(
                services.GetRequiredService<ZoneCatalog>(),
                new IPEndPoint(address, endpoints.DnsPort),
                options.UdpThreads,
                identity.Name,
                options.Application,
                services.GetRequiredService<ILogger<DnsFrontEnd>>());
        });
        builder.Services.AddHostedService(services => services.GetRequiredService<DnsFrontEnd>());
        return builder;
    }

    private static IPAddress Resolve(string host) =>
        IPAddress.TryParse(host, out var address)
            ? address
            : System.Net.Dns.GetHostAddresses(host).OrderBy(a => a.AddressFamily == AddressFamily.InterNetwork ? 0 : 1).First();
}
