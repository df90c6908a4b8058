using System.CommandLine;
using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using CounterStateMachine = PaxosGo.Core.CounterStateMachine;
using PaxosGo.NameServer.Hosting;
using PaxosGo.NameServer.Http;
using PaxosGo.Orleans;
using PaxosGo.Orleans.Applications;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Http;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Silo;

/// <summary>
/// <c>run</c>: runs this node's silo until SIGINT / SIGTERM. Settings: see <see cref="SiloSettings"/>;
/// every token the parser does not know (<c>--PaxosGo:Node=node-a</c>, <c>--Logging:LogLevel:Orleans=Information</c>)
/// is a configuration setting.
/// </summary>
internal static class RunCommand
{
    /// <summary>The config file read from the working directory when <c>--config</c> is not given and the file exists.</summary>
    public const string DefaultConfigFile = "paxosgo.json";

    /// <summary>Environment variables with this prefix are settings (<c>PAXOSGO_PaxosGo__Node</c> is <c>PaxosGo:Node</c>).</summary>
    public const string EnvironmentPrefix = "PAXOSGO_";

    private const UnixFileMode ReadableByOthers = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    // Console logging defaults, overridable by the Logging section of any configuration source.
    private static readonly Dictionary<string, string?> Defaults = new()
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:PaxosGo"] = "Information",
        ["Logging:LogLevel:Orleans"] = "Warning",

        // Orleans' placement retries (a node not up yet) log every attempt with a stack trace; the
        // failure that remains after the last attempt is logged by Orleans itself.
        ["Logging:LogLevel:Polly"] = "Critical",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Information",
    };

    public static Command Create()
    {
        var config = new Option<string?>("--config")
        {
            Description = $"A JSON config file (default: {DefaultConfigFile} in the working directory, when present).",
        };
        var command = new Command(
            "run",
            "Run this node's silo until SIGINT or SIGTERM. Settings (section PaxosGo: Node, KeyFile, MeshFile, AdminPublicKey, Storage, ClusterId, " +
            $"ServiceId, Applications (the counter applications), DnsApplication (the name server, default dns; none: off), DnsUdpThreads, Container, ListenOnAnyAddress, MaxCommandBytes, MaxSessions, SessionIdleTimeout, and the protocol's tuning: Tick, TimerPeriod, ResultTimeout, Journal, JournalCheckpointEvery, AcceptorsNotifyLearners, Proposer:*, Learner:*) come from the config file, then {EnvironmentPrefix}* environment " +
            $"variables ({EnvironmentPrefix}PaxosGo__Node=node-a), then --PaxosGo:Node=node-a arguments. AdminPublicKey (required) is the administrator's " +
            "Ed25519 public key, 64 hex characters: only commands it signs may register clients, and only registered clients' signed commands are executed.")
        {
            config,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((parse, _) => RunAsync(parse.GetValue(config), parse.UnmatchedTokens));
        return command;
    }

    private static async Task<int> RunAsync(string? configFile, IReadOnlyList<string> settingArguments)
    {
        IHost host;
        NodeKey? key = null;
        string node;
        string where;
        try
        {
            // No configuration reload: the default appsettings sources would watch the whole working
            // directory tree (recursively), and every storage or log write below it would cost CPU.
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
            {
                ContentRootPath = Environment.CurrentDirectory,
                Args = ["--hostBuilder:reloadConfigOnChange=false"],
            });
            builder.Configuration.Sources.Clear();
            AddConfiguration(builder.Configuration, configFile, settingArguments);
            var settings = SiloSettings.Read(builder.Configuration);
            node = settings.Node;

            var mesh = Mesh.Load(settings.MeshFile);
            key = LoadKey(settings.KeyFile);
            var identity = NodeIdentity.Create(mesh, key, settings.Node);

            // After the node's own identity, so a missing or mismatched key file is the first thing reported.
            settings.CheckAdminPublicKey();
            var options = CheckOptions(settings);
            var applications = options.Applications.ToArray();
            var adminKey = settings.AdminPublicKey![..16].ToLowerInvariant() + "…";
            var endpoints = identity.Node.Endpoints;
            var address = Resolve(identity.Name, endpoints.Host);
            where = $"silo {address}:{endpoints.SiloPort}, gateway port {endpoints.GatewayPort}, HTTP port {endpoints.HttpPort}, cluster '{settings.ClusterId}'";
            // The read-only HTTP API for external clients, on the node's HTTP port.
            builder.WebHost.UseUrls(settings.ListenOnAnyAddress ? $"http://0.0.0.0:{endpoints.HttpPort}" : $"http://{address}:{endpoints.HttpPort}");
            var tables = CreateStorageClients(settings.Storage);

            builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
            });

            builder.UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = settings.ClusterId;
                    o.ServiceId = settings.ServiceId;
                });
                silo.ConfigureEndpoints(address, endpoints.SiloPort, endpoints.GatewayPort, settings.ListenOnAnyAddress);
                silo.UseAzureStorageClustering(o => o.TableServiceClient = tables);
                silo.AddPaxosGo(identity, settings.Apply);
                foreach (var application in settings.CounterApplications) silo.AddApplication<CounterStateMachine>(application);
                if (settings.DnsApplication is { } dns)
                {
                    silo.AddNameServer(settings.Storage, o =>
                    {
                        o.Application = dns;
                        o.ListenOnAnyAddress = settings.ListenOnAnyAddress;
                        if (settings.DnsUdpThreads is { } threads) o.UdpThreads = threads;
                    });
                }
                silo.AddPaxosGoAzureStorage(settings.Storage, settings.Container);
            });

            var web = builder.Build();
            web.MapPaxosGoReadApi(identity.Name, mesh, applications);
            if (settings.DnsApplication is not null) web.MapNameServerApi(identity.Name);
            host = web;
            var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Log.Category);
            Log.Starting(
                logger,
                identity.Name,
                identity.Index,
                mesh.Count,
                address,
                endpoints.SiloPort,
                endpoints.GatewayPort,
                settings.ListenOnAnyAddress ? " (listening on any address)" : string.Empty,
                settings.ClusterId,
                settings.ServiceId,
                applications,
                adminKey);
            var p = options.Proposer;
            Log.Tuning(logger, identity.Name, options.Tick.TotalMilliseconds, options.TimerPeriod.TotalMilliseconds, p.Window, p.MaxBatch, p.MaxUnlearnedSlots, p.ThriftyAccepts, options.Learner.SnapshotInterval, options.Journal, options.JournalCheckpointEvery);
        }
        catch (Exception e) when (e is StartupException or MeshConfigurationException or NodeIdentityException)
        {
            key?.Dispose();
            return Cli.Fail(e.Message);
        }

        using (key)
        {
            try
            {
                var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Log.Category);
                try
                {
                    await host.StartAsync().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // Whatever keeps the silo from starting (storage unreachable, a port in use) is one line, no stack trace.
                    return Cli.Fail($"node '{node}' failed to start ({where}): {ErrorText.Describe(e)}");
                }

                Log.Started(logger, node);
                try
                {
                    await host.WaitForShutdownAsync().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    return Cli.Fail($"node '{node}' did not stop cleanly: {ErrorText.Describe(e)}", Cli.Failed);
                }

                Log.Stopped(logger, node);
                return 0;
            }
            finally
            {
                if (host is IAsyncDisposable asyncDisposable)
                {
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                }
                else
                {
                    host.Dispose();
                }
            }
        }
    }

    private static void AddConfiguration(IConfigurationBuilder configuration, string? configFile, IReadOnlyList<string> settingArguments)
    {
        CheckSettingArguments(settingArguments);
        configuration.AddInMemoryCollection(Defaults);
        string? path = null;
        if (configFile is not null)
        {
            path = Path.GetFullPath(configFile);
            if (!File.Exists(path))
            {
                throw new StartupException($"the config file '{configFile}' does not exist");
            }
        }
        else if (File.Exists(DefaultConfigFile))
        {
            path = Path.GetFullPath(DefaultConfigFile);
        }

        if (path is not null)
        {
            try
            {
                configuration.AddJsonFile(path, optional: false, reloadOnChange: false);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or IOException or UnauthorizedAccessException)
            {
                throw new StartupException($"the config file '{path}' cannot be read: {ErrorText.Describe(e)}", e);
            }
        }

        configuration.AddEnvironmentVariables(EnvironmentPrefix);
        configuration.AddCommandLine(settingArguments.ToArray());
    }

    /// <summary>Every leftover argument must be a setting: <c>--Key=value</c> or <c>--Key value</c>.</summary>
    private static void CheckSettingArguments(IReadOnlyList<string> arguments)
    {
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            if (!argument.StartsWith("--", StringComparison.Ordinal) || argument.Length == 2 || argument[2] == '=')
            {
                throw new StartupException($"unexpected argument '{argument}'; settings are given as --Section:Key=value (e.g. --PaxosGo:Node=node-a)");
            }

            if (!argument.Contains('=', StringComparison.Ordinal))
            {
                if (i + 1 >= arguments.Count || arguments[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new StartupException($"the setting '{argument}' has no value; give it as {argument}=value");
                }

                i++;
            }
        }
    }

    /// <summary>Loads the key file, refusing one that group or others may read or write.</summary>
    private static NodeKey LoadKey(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path) && !NodeKey.HasSafePermissions(path))
        {
            var mode = File.GetUnixFileMode(path);
            var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
            var problem = (mode & ReadableByOthers) != 0 ? "is readable by others" : "is accessible to group or others";
            throw new StartupException($"key file '{path}' {problem} (mode {octal}); chmod 600 it");
        }

        return NodeKey.Load(path);
    }

    /// <summary>The options the configured settings give, checked before anything starts.</summary>
    private static PaxosGoOptions CheckOptions(SiloSettings settings)
    {
        var options = new PaxosGoOptions();
        settings.Apply(options);
        foreach (var application in settings.CounterApplications) options.Applications.Add(application);
        if (settings.DnsApplication is { } dns) options.Applications.Add(dns);
        try
        {
            options.Validate();
        }
        catch (InvalidOperationException e)
        {
            throw new StartupException(e.Message, e);
        }

        return options;
    }

    private static IPAddress Resolve(string node, string host)
    {
        if (IPAddress.TryParse(host, out var address))
        {
            return address;
        }

        IPAddress[] addresses;
        try
        {
            addresses = Dns.GetHostAddresses(host);
        }
        catch (SocketException e)
        {
            throw new StartupException($"mesh node '{node}': cannot resolve host '{host}': {e.Message}", e);
        }

        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? addresses.FirstOrDefault()
            ?? throw new StartupException($"mesh node '{node}': host '{host}' has no address");
    }

    /// <summary>Checks the connection string by building the clients from it; returns the table client for clustering.</summary>
    private static TableServiceClient CreateStorageClients(string connectionString)
    {
        try
        {
            _ = new BlobServiceClient(connectionString);
            return new TableServiceClient(connectionString);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or InvalidOperationException)
        {
            // The message may quote the connection string; never print its secrets.
            throw new StartupException($"PaxosGo:Storage is not a valid Azure Storage connection string ({e.GetType().Name})", e);
        }
    }
}
