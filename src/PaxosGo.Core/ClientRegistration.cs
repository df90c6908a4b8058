using System.Security.Cryptography;
using System.Text;

namespace PaxosGo.Core;

/// <summary>
/// An administrative command's body: register a client's public key for the application, or revoke
/// it. It travels as a command of the client <see cref="Replica.AdminClientId"/>, wrapped with the
/// administrator's signature (<see cref="AdministrativeCommand"/>), and every replica checks that
/// signature and the registration's form when it applies the command.
/// </summary>
public sealed record ClientRegistration(bool Register, string ClientId, byte[] PublicKey)
{
    /// <summary>The length of a client's raw Ed25519 public key.</summary>
    public const int PublicKeyLength = 32;

    /// <summary>
    /// Whether the registration names its client as a client id must be: the lowercase hex SHA-256 of a
    /// 32-byte public key. A registration under any other id (too long, another client's, a reserved
    /// id such as <see cref="Replica.AdminClientId"/>) is malformed.
    /// </summary>
    public bool IsWellFormed =>
        PublicKey.Length == PublicKeyLength && string.Equals(ClientId, ClientIdOf(PublicKey), StringComparison.Ordinal);

    /// <summary>The client id of a public key: lowercase hex SHA-256 of its raw bytes.</summary>
    public static string ClientIdOf(ReadOnlySpan<byte> publicKey) => Convert.ToHexStringLower(SHA256.HashData(publicKey));

    /// <summary>The payload of the administrative command (before the administrator's signature is attached).</summary>
    public byte[] Encode()
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Register ? (byte)1 : (byte)2);
            w.Write(ClientId);
            w.Write(PublicKey.Length);
            w.Write(PublicKey);
        }

        return stream.ToArray();
    }

    /// <summary>Decodes an administrative payload; null when it is not one.</summary>
    public static ClientRegistration? TryDecode(ReadOnlySpan<byte> payload)
    {
        // A registration is a few dozen bytes: anything long is not one (and is not worth reading).
        if (payload.Length is 0 or > 512) return null;
        try
        {
            using var r = new BinaryReader(new MemoryStream(payload.ToArray(), writable: false), new UTF8Encoding(false, true));
            byte op = r.ReadByte();
            if (op is not (1 or 2)) return null;
            string client = r.ReadString();
            int length = r.ReadInt32();
            if (length is < 0 or > 64) return null;
            byte[] key = r.ReadBytes(length);
            if (key.Length != length || r.BaseStream.Position != payload.Length || client.Length == 0) return null;
            return new ClientRegistration(op == 1, client, key);
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or DecoderFallbackException or FormatException)
        {
            return null;
        }
    }
}
