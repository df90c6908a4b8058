using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PaxosGo.Core;

/// <summary>
/// The canonical encoding of a client command, which its hash covers: what a client signs (or MACs)
/// at the entry node, and what every replica checks the administrator's signature against.
/// </summary>
public static class CommandEncoding
{
    /// <summary>The domain tag that starts every encoding, so a command hash is never another object's.</summary>
    public const string Domain = "paxosgo-command-v1";

    /// <summary>
    /// ASCII <see cref="Domain"/>, then the application and the client id (each a 4-byte little-endian
    /// length and UTF-8 bytes), the request id (8 bytes little-endian), and the payload (4-byte
    /// length and bytes).
    /// </summary>
    public static byte[] Canonical(string application, string clientId, ulong requestId, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(clientId);
        byte[] app = Encoding.UTF8.GetBytes(application);
        byte[] client = Encoding.UTF8.GetBytes(clientId);
        var buffer = new byte[Domain.Length + 4 + app.Length + 4 + client.Length + 8 + 4 + payload.Length];
        var span = buffer.AsSpan();
        int at = Encoding.ASCII.GetBytes(Domain, span);
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], app.Length);
        app.CopyTo(span[(at += 4)..]);
        at += app.Length;
        BinaryPrimitives.WriteInt32LittleEndian(span[at..], client.Length);
        client.CopyTo(span[(at += 4)..]);
        at += client.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(span[at..], requestId);
        BinaryPrimitives.WriteInt32LittleEndian(span[(at += 8)..], payload.Length);
        payload.CopyTo(span[(at + 4)..]);
        return buffer;
    }

    /// <summary>SHA-256 of the canonical encoding.</summary>
    public static byte[] Hash(string application, string clientId, ulong requestId, ReadOnlySpan<byte> payload) =>
        SHA256.HashData(Canonical(application, clientId, requestId, payload));
}
