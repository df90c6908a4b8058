using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary>Client and administrator key files: the same Ed25519 key file format as node keys.</summary>
internal static class KeyFiles
{
    private const UnixFileMode ReadableByOthers = UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    /// <summary>Loads the private key given by <paramref name="option"/>, refusing a file group or others may access.</summary>
    /// <exception cref="CliException">The file is missing, unsafe or not a key file (exit code 2).</exception>
    public static NodeKey Load(string path, string option)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path) && !NodeKey.HasSafePermissions(path))
        {
            var mode = File.GetUnixFileMode(path);
            var octal = Convert.ToString((int)mode & 0x1FF, 8).PadLeft(4, '0');
            var problem = (mode & ReadableByOthers) != 0 ? "is readable by others" : "is accessible to group or others";
            throw new CliException($"{option}: key file '{path}' {problem} (mode {octal}); chmod 600 it", Cli.UsageError);
        }

        try
        {
            return NodeKey.Load(path);
        }
        catch (NodeIdentityException e)
        {
            // The same file format serves node, client and administrator keys.
            throw new CliException($"{option}: {e.Message.Replace("the node key file", "the key file", StringComparison.Ordinal)}", Cli.UsageError, e);
        }
    }

    /// <summary>The lines <c>keygen</c> and <c>key show</c> print: the file, the client id and the public key.</summary>
    public static void Print(string path, NodeKey key)
    {
        Console.WriteLine($"key file:   {Path.GetFullPath(path)}");
        Console.WriteLine($"client id:  {key.NodeId}");
        Console.WriteLine($"public key: {Convert.ToHexStringLower(key.PublicKey)}");
    }

    /// <summary>
    /// A request id for an administrative command: the current Unix time in microseconds. The
    /// administrator's request ids must increase, and a clock that moves forward makes them do so.
    /// </summary>
    public static ulong AdminRequestId() =>
        (ulong)((DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / TimeSpan.TicksPerMicrosecond);
}
