namespace PaxosGo.Orleans.Identity;

/// <summary>
/// This silo's identity: its name, its entry and index in the mesh, and its key, checked against
/// each other. The caller owns the <see cref="NodeKey"/> and keeps it alive as long as this identity.
/// </summary>
public sealed class NodeIdentity
{
    private readonly NodeKey key;

    private NodeIdentity(Mesh mesh, NodeKey key, string name, int index)
    {
        Mesh = mesh;
        this.key = key;
        Name = name;
        Index = index;
    }

    /// <summary>The mesh this node belongs to.</summary>
    public Mesh Mesh { get; }

    /// <summary>This node's name.</summary>
    public string Name { get; }

    /// <summary>This node's protocol index: its position in <see cref="Mesh.Nodes"/>.</summary>
    public int Index { get; }

    /// <summary>This node's mesh entry.</summary>
    public MeshNode Node => Mesh[Index];

    /// <summary>Binds <paramref name="key"/> to the mesh entry named <paramref name="name"/>.</summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="key">This node's key pair.</param>
    /// <param name="name">This node's name.</param>
    /// <returns>The identity.</returns>
    /// <exception cref="NodeIdentityException">The name is not in the mesh, or the key is not the one its mesh entry names.</exception>
    public static NodeIdentity Create(Mesh mesh, NodeKey key, string name)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(name);
        var index = mesh.IndexOf(name);
        var node = mesh[index];
        if (!string.Equals(node.NodeId, key.NodeId, StringComparison.Ordinal))
        {
            throw new NodeIdentityException(
                $"the key file of node '{name}' does not match its mesh entry: key node id {Short(key.NodeId)}, mesh node id {Short(node.NodeId)}");
        }

        return new NodeIdentity(mesh, key, name, index);
    }

    /// <summary>Signs <paramref name="data"/> with this node's private key.</summary>
    /// <param name="data">The bytes to sign.</param>
    /// <returns>The 64-byte Ed25519 signature.</returns>
    public byte[] Sign(ReadOnlySpan<byte> data) => key.Sign(data);

    private static string Short(string nodeId) => nodeId.Length <= 12 ? nodeId : string.Concat(nodeId.AsSpan(0, 12), "…");
}
