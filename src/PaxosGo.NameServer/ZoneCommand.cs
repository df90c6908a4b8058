using System.Text;

namespace PaxosGo.NameServer;

/// <summary>What a zone-map command does.</summary>
public enum ZoneOperation : byte
{
    /// <summary>Maps a zone name to the SHA-256 of its zone file (adding or replacing it).</summary>
    Put = 1,

    /// <summary>Removes a zone name.</summary>
    Delete = 2,
}

/// <summary>
/// A command of the zone map, as the bytes a client proposes: the operation (1 byte), the canonical
/// zone name (<see cref="ZoneName"/>: a length byte, then ASCII), and for a put the SHA-256 of the
/// zone file (32 bytes). Nothing else may follow.
/// </summary>
public sealed record ZoneCommand(ZoneOperation Operation, string Name, byte[]? Hash)
{
    /// <summary>The length of a zone file's hash (SHA-256).</summary>
    public const int HashLength = 32;

    /// <summary>A put of <paramref name="hash"/> under <paramref name="name"/> (any spelling; it is normalized).</summary>
    /// <exception cref="ArgumentException">The name is not a valid zone name, or the hash is not 32 bytes.</exception>
    public static ZoneCommand Put(string name, byte[] hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        if (hash.Length != HashLength) throw new ArgumentException($"A zone file's hash is {HashLength} bytes (SHA-256), not {hash.Length}.", nameof(hash));
        return new ZoneCommand(ZoneOperation.Put, Canonical(name), (byte[])hash.Clone());
    }

    /// <summary>A delete of <paramref name="name"/> (any spelling; it is normalized).</summary>
    /// <exception cref="ArgumentException">The name is not a valid zone name.</exception>
    public static ZoneCommand Delete(string name) => new(ZoneOperation.Delete, Canonical(name), null);

    /// <summary>The command's bytes.</summary>
    public byte[] Encode()
    {
        byte[] name = Encoding.ASCII.GetBytes(Name);
        var bytes = new byte[2 + name.Length + (Operation == ZoneOperation.Put ? HashLength : 0)];
        bytes[0] = (byte)Operation;
        bytes[1] = (byte)name.Length;
        name.CopyTo(bytes, 2);
        if (Operation == ZoneOperation.Put) Hash!.CopyTo(bytes, 2 + name.Length);
        return bytes;
    }

    /// <summary>Reads a command, or returns null with the reason in <paramref name="error"/>; the name must be canonical.</summary>
    public static ZoneCommand? Decode(ReadOnlySpan<byte> bytes, out string error)
    {
        if (bytes.Length < 2)
        {
            error = "A zone command is at least an operation and a name's length.";
            return null;
        }

        var operation = (ZoneOperation)bytes[0];
        if (operation is not (ZoneOperation.Put or ZoneOperation.Delete))
        {
            error = $"Unknown zone operation {bytes[0]}.";
            return null;
        }

        int nameLength = bytes[1];
        int expected = 2 + nameLength + (operation == ZoneOperation.Put ? HashLength : 0);
        if (bytes.Length != expected)
        {
            error = $"A zone {operation.ToString().ToLowerInvariant()} with a name of {nameLength} bytes is {expected} bytes long, not {bytes.Length}.";
            return null;
        }

        var raw = bytes.Slice(2, nameLength);
        foreach (byte b in raw)
        {
            if (b > 0x7F)
            {
                error = "The zone name is not ASCII.";
                return null;
            }
        }

        string name = Encoding.ASCII.GetString(raw);
        if (ZoneName.Normalize(name, out error) is not { } canonical) return null;
        if (canonical != name)
        {
            error = "The zone name is not in canonical form (lower case, with the trailing dot).";
            return null;
        }

        error = "";
        return new ZoneCommand(operation, name, operation == ZoneOperation.Put ? bytes[(2 + nameLength)..].ToArray() : null);
    }

    private static string Canonical(string name) =>
        ZoneName.Normalize(name, out string error) ?? throw new ArgumentException(error, nameof(name));
}
