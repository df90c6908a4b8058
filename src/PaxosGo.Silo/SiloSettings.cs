using Microsoft.Extensions.Configuration;
using PaxosGo.Orleans;

namespace PaxosGo.Silo;

/// <summary>
/// The silo's settings, section <c>PaxosGo</c> of the configuration. Sources, lowest to highest
/// precedence: the JSON config file (<c>--config PATH</c>, else <c>paxosgo.json</c> in the working
/// directory when present), environment variables prefixed <c>PAXOSGO_</c>
/// (<c>PAXOSGO_PaxosGo__Node=node-a</c>), and <c>--PaxosGo:Node=node-a</c> on the command line.
/// Relative paths are relative to the working directory.
/// </summary>
/// <param name="Node">This node's name in the mesh (required).</param>
/// <param name="KeyFile">This node's key file, mode 0600 (required).</param>
/// <param name="MeshFile">The mesh file (required).</param>
/// <param name="Storage">
/// The Azure Storage connection string for clustering (tables) and grain state (blobs). The default
/// is the local emulator (Azurite); in production use a real account's connection string and keep it
/// out of the config file (an environment variable).
/// </param>
/// <param name="ClusterId">The Orleans cluster id: the silos that form one cluster (and its membership rows).</param>
/// <param name="ServiceId">The Orleans service id: grain state belongs to it, so keep it fixed for the life of the data.</param>
/// <param name="Applications">The counter applications the cluster runs, or null for one named <c>counter</c>.</param>
/// <param name="Container">
/// The blob container that holds this deployment's grain state. Blob names do not include the
/// service id, so every deployment sharing a storage account needs its own container.
/// </param>
/// <param name="ListenOnAnyAddress">
/// Listen on every interface instead of only the mesh entry's host, while still advertising that host
/// (for a container or NAT where the advertised address is not a local one).
/// </param>
/// <param name="AdminPublicKey">
/// The administrator's raw Ed25519 public key, 64 hex characters (what <c>paxosgo keygen</c> prints as
/// <c>public key</c>). Required to run, but checked by <see cref="CheckAdminPublicKey"/> after the
/// node's own identity, so a missing or wrong key file is reported first.
/// </param>
/// <param name="MaxCommandBytes">The largest command payload the node accepts, or null for the library default.</param>
/// <param name="MaxSessions">The most client sessions the node holds, or null for the library default.</param>
/// <param name="SessionIdleTimeout">How long an unused client session lives, or null for the library default.</param>
/// <param name="DnsUdpThreads">Threads receiving DNS queries over UDP, or null for one per core.</param>
/// <param name="DnsApplication">The name server's application (zone map, DNS on the node's DNS port), or null for none.</param>
/// <param name="Tuning">The protocol's tuning (<see cref="ProtocolTuning"/>): what is not configured keeps the library default.</param>
internal sealed record SiloSettings(
    string Node,
    string KeyFile,
    string MeshFile,
    string Storage,
    string ClusterId,
    string ServiceId,
    IReadOnlyList<string>? Applications,
    string Container,
    bool ListenOnAnyAddress,
    string? AdminPublicKey,
    int? MaxCommandBytes,
    int? MaxSessions = null,
    TimeSpan? SessionIdleTimeout = null,
    ProtocolTuning? Tuning = null,
    string? DnsApplication = SiloSettings.DefaultDnsApplication,
    int? DnsUdpThreads = null)
{
    /// <summary>Length of <see cref="AdminPublicKey"/>: 32 bytes in hex.</summary>
    public const int AdminPublicKeyLength = 64;

    public const string DefaultStorage = "UseDevelopmentStorage=true";
    public const string DefaultClusterId = "paxosgo";
    public const string DefaultServiceId = "paxosgo";
    public const string DefaultContainer = "paxosgo";
    public const string DefaultApplication = "counter";
    public const string DefaultDnsApplication = "dns";

    /// <summary>Reads and checks the settings.</summary>
    /// <exception cref="StartupException">A required setting is missing or a value is malformed.</exception>
    public static SiloSettings Read(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(PaxosGoOptions.SectionName);
        return new SiloSettings(
            Required(section, "Node"),
            Required(section, "KeyFile"),
            Required(section, "MeshFile"),
            Optional(section, "Storage") ?? DefaultStorage,
            Optional(section, "ClusterId") ?? DefaultClusterId,
            Optional(section, "ServiceId") ?? DefaultServiceId,
            ReadApplications(section.GetSection("Applications")),
            Optional(section, "Container") ?? DefaultContainer,
            ReadBool(section, "ListenOnAnyAddress"),
            Optional(section, "AdminPublicKey"),
            ReadPositiveInt(section, "MaxCommandBytes", "bytes"),
            ReadPositiveInt(section, "MaxSessions", "sessions"),
            ReadPositiveTimeSpan(section, "SessionIdleTimeout"),
            ProtocolTuning.Read(section),
            ReadDnsApplication(section),
            ReadPositiveInt(section, "DnsUdpThreads", "threads"));
    }

    /// <summary>Checks that <see cref="AdminPublicKey"/> is set and is 64 hex characters.</summary>
    /// <exception cref="StartupException">It is missing or malformed.</exception>
    public void CheckAdminPublicKey()
    {
        const string Setting = PaxosGoOptions.SectionName + ":AdminPublicKey";
        if (AdminPublicKey is null)
        {
            throw new StartupException(
                $"{Setting} is not set: give the administrator's Ed25519 public key, {AdminPublicKeyLength} hex characters as 'paxosgo keygen' or 'paxosgo key show' " +
                $"prints it (--{Setting}=..., environment variable PAXOSGO_{PaxosGoOptions.SectionName}__AdminPublicKey, or the config file)");
        }

        if (AdminPublicKey.Length != AdminPublicKeyLength || !AdminPublicKey.All(Uri.IsHexDigit))
        {
            throw new StartupException(
                $"{Setting} must be the administrator's Ed25519 public key as {AdminPublicKeyLength} hex characters " +
                $"('paxosgo key show --key ADMINKEYFILE' prints it), not {Describe(AdminPublicKey)}");
        }
    }

    /// <summary>Sets <paramref name="options"/>' administrator key, limits and protocol tuning to the configured ones, when configured (applications are added to the silo: <see cref="CounterApplications"/>).</summary>
    public void Apply(PaxosGoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Tuning?.Apply(options);
        options.AdminPublicKey = AdminPublicKey?.ToLowerInvariant();
        if (MaxCommandBytes is { } maxCommandBytes)
        {
            options.MaxCommandBytes = maxCommandBytes;
        }

        if (MaxSessions is { } maxSessions)
        {
            options.MaxSessions = maxSessions;
        }

        if (SessionIdleTimeout is { } idle)
        {
            options.SessionIdleTimeout = idle;
        }

    }

    /// <summary>The counter applications to run: the configured ones, else <c>counter</c>.</summary>
    public IReadOnlyList<string> CounterApplications => Applications ?? [DefaultApplication];

    private static string Required(IConfigurationSection section, string key) =>
        Optional(section, key) ?? throw new StartupException(
            $"{section.Path}:{key} is not set (--{section.Path}:{key}=..., environment variable PAXOSGO_{section.Path}__{key}, or the config file)");

    private static string? Optional(IConfigurationSection section, string key)
    {
        var value = section[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static bool ReadBool(IConfigurationSection section, string key)
    {
        var value = Optional(section, key);
        if (value is null)
        {
            return false;
        }

        return bool.TryParse(value, out var result)
            ? result
            : throw new StartupException($"{section.Path}:{key} must be true or false, not '{value}'");
    }

    private static int? ReadPositiveInt(IConfigurationSection section, string key, string unit)
    {
        var value = Optional(section, key);
        if (value is null)
        {
            return null;
        }

        return int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var result) && result > 0
            ? result
            : throw new StartupException($"{section.Path}:{key} must be a positive whole number of {unit}, not '{value}'");
    }

    private static TimeSpan? ReadPositiveTimeSpan(IConfigurationSection section, string key)
    {
        var value = Optional(section, key);
        if (value is null)
        {
            return null;
        }

        return TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var result) && result > TimeSpan.Zero
            ? result
            : throw new StartupException($"{section.Path}:{key} must be a positive duration such as 00:30:00 (hh:mm:ss), not '{value}'");
    }

    /// <summary>A malformed key for the error line: its length and, when short, the value itself (it is public).</summary>
    private static string Describe(string value) =>
        value.Length <= AdminPublicKeyLength + 8
            ? $"'{value}' ({value.Length} characters)"
            : $"a value of {value.Length} characters";

    /// <summary><c>DnsApplication</c>: the name server's application, <c>dns</c> when not set; <c>none</c> turns the name server off.</summary>
    private static string? ReadDnsApplication(IConfigurationSection section) =>
        Optional(section, "DnsApplication") switch
        {
            null => DefaultDnsApplication,
            "none" => null,
            { } name => name.Trim(),
        };

    /// <summary>A list (<c>Applications:0</c>, <c>Applications:1</c>, …) or one comma-separated value.</summary>
    private static string[]? ReadApplications(IConfigurationSection section)
    {
        IEnumerable<string?> values = section.Value is { } joined
            ? joined.Split(',')
            : section.GetChildren().Select(child => child.Value);
        var applications = values.Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToArray();
        return applications.Length == 0 ? null : applications;
    }
}
