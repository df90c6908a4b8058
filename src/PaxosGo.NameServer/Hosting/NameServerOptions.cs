namespace PaxosGo.NameServer.Hosting;

/// <summary>The name server's settings on a silo (<see cref="NameServerSiloBuilderExtensions.AddNameServer"/>).</summary>
public sealed class NameServerOptions
{
    /// <summary>The PaxosGo application that holds the zone map (default <c>dns</c>).</summary>
    public string Application { get; set; } = "dns";

    /// <summary>The blob container zone files are stored in by content key.</summary>
    public string Container { get; set; } = Storage.ZoneFileStore.DefaultContainer;

    /// <summary>Answer DNS on every interface instead of only the mesh entry's host.</summary>
    public bool ListenOnAnyAddress { get; set; }

    /// <summary>Threads receiving UDP queries (default: one per core).</summary>
    public int UdpThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>How often a zone file that could not be loaded (missing, tampered, storage down) is tried again.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws with a clear message when a setting is out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Application)) throw new InvalidOperationException("NameServer: Application must be set.");
        if (string.IsNullOrWhiteSpace(Container)) throw new InvalidOperationException("NameServer: Container must be set.");
        if (UdpThreads is < 1 or > 64) throw new InvalidOperationException("NameServer: UdpThreads must be 1 to 64.");
        if (RetryInterval <= TimeSpan.Zero) throw new InvalidOperationException("NameServer: RetryInterval must be positive.");
    }
}
