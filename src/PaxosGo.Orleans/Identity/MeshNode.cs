namespace PaxosGo.Orleans.Identity;

/// <summary>The network endpoints of one node. All four ports of all nodes on one host are distinct.</summary>
/// <param name="Host">The host name or address the node listens on and is reached at.</param>
/// <param name="SiloPort">The Orleans silo-to-silo port.</param>
/// <param name="GatewayPort">The Orleans client gateway port.</param>
/// <param name="HttpPort">The HTTP API port.</param>
/// <param name="DnsPort">The DNS port.</param>
public sealed record MeshEndpoints(string Host, int SiloPort, int GatewayPort, int HttpPort, int DnsPort);

/// <summary>One node of the mesh, as listed in the mesh file.</summary>
/// <param name="Name">The node's name, matching <c>^[a-z0-9][a-z0-9-]{0,62}$</c>.</param>
/// <param name="NodeId">64 lowercase hex characters: the SHA-256 of the raw public key.</param>
/// <param name="PublicKey">64 lowercase hex characters: the raw 32-byte Ed25519 public key.</param>
/// <param name="Endpoints">Where the node is reached.</param>
public sealed record MeshNode(string Name, string NodeId, string PublicKey, MeshEndpoints Endpoints)
{
    /// <summary>The mesh entry of the node named <paramref name="name"/> holding <paramref name="key"/>.</summary>
    /// <param name="name">The node's name.</param>
    /// <param name="key">The node's key pair (only its public half is used).</param>
    /// <param name="endpoints">Where the node is reached.</param>
    /// <returns>The mesh entry.</returns>
    public static MeshNode For(string name, NodeKey key, MeshEndpoints endpoints)
    {
        ArgumentNullException.ThrowIfNull(key);
        return new MeshNode(name, key.NodeId, Convert.ToHexStringLower(key.PublicKey), endpoints);
    }
}
