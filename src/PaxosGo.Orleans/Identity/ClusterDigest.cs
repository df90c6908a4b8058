using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace PaxosGo.Orleans.Identity;

/// <summary>
/// What every node of a cluster must be configured with alike, as one SHA-256: the mesh (each node's
/// name and public key, in mesh order) and the administrator's public key. Every protocol envelope
/// carries its sender's digest and signs it, and a node refuses envelopes whose digest is not its
/// own (<see cref="RejectionCodes.ConfigurationMismatch"/>). So two silos given different mesh files
/// or different administrator keys cannot take part in one Paxos log: they would otherwise number
/// nodes differently, or let one replica execute a registration that another refuses.
/// </summary>
public static class ClusterDigest
{
    /// <summary>The length of a digest.</summary>
    public const int Length = 32;

    private const string Domain = "paxosgo-cluster-v1";

    /// <summary>
    /// SHA-256 of ASCII <c>paxosgo-cluster-v1</c>, the node count (4 bytes little-endian), then for
    /// each node in mesh order its UTF-8 name (length-prefixed) and its 32-byte public key, then the
    /// 32-byte administrator public key.
    /// </summary>
    public static byte[] Compute(Mesh mesh, ReadOnlySpan<byte> adminPublicKey)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        if (adminPublicKey.Length != NodeKey.KeyLength)
        {
            throw new ArgumentException($"The administrator's public key is {NodeKey.KeyLength} bytes.", nameof(adminPublicKey));
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.ASCII.GetBytes(Domain));
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(number, mesh.Count);
        hash.AppendData(number);
        foreach (var node in mesh.Nodes)
        {
            byte[] name = Encoding.UTF8.GetBytes(node.Name);
            BinaryPrimitives.WriteInt32LittleEndian(number, name.Length);
            hash.AppendData(number);
            hash.AppendData(name);
            hash.AppendData(Convert.FromHexString(node.PublicKey));
        }

        hash.AppendData(adminPublicKey);
        return hash.GetHashAndReset();
    }

    /// <summary>The first 8 bytes in hex, for messages.</summary>
    public static string Abbreviate(ReadOnlySpan<byte> digest) => Convert.ToHexStringLower(digest[..Math.Min(8, digest.Length)]);
}
