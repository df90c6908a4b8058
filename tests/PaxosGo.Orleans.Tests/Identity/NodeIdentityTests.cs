using System.Text;
using NSec.Cryptography;
using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Identity;

public class NodeIdentityTests
{
    [Fact]
    public void Identity_binds_name_index_mesh_entry_and_key()
    {
        using var mesh = new TestMesh("node-a", "node-b", "node-c");

        var identity = NodeIdentity.Create(mesh.Mesh, mesh.Key("node-b"), "node-b");

        Assert.Same(mesh.Mesh, identity.Mesh);
        Assert.Equal("node-b", identity.Name);
        Assert.Equal(mesh.Mesh.IndexOf("node-b"), identity.Index);
        Assert.Equal("node-b", identity.Node.Name);
        Assert.Equal(mesh.Key("node-b").NodeId, identity.Node.NodeId);
        var data = Encoding.UTF8.GetBytes("hello");
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, Convert.FromHexString(identity.Node.PublicKey), KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, data, identity.Sign(data)));
    }

    [Fact]
    public void Identity_with_a_name_not_in_the_mesh_is_rejected_listing_the_nodes()
    {
        using var mesh = new TestMesh("node-a", "node-b", "node-c");

        var ex = Assert.Throws<NodeIdentityException>(() => NodeIdentity.Create(mesh.Mesh, mesh.Key("node-a"), "node-x"));

        Assert.Contains("node 'node-x' is not in the mesh (nodes: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("node-a", ex.Message, StringComparison.Ordinal);
        Assert.Contains("node-b", ex.Message, StringComparison.Ordinal);
        Assert.Contains("node-c", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Identity_with_another_nodes_key_is_rejected_showing_both_node_ids()
    {
        using var mesh = new TestMesh("node-a", "node-b");

        var ex = Assert.Throws<NodeIdentityException>(() => NodeIdentity.Create(mesh.Mesh, mesh.Key("node-b"), "node-a"));

        Assert.Contains("the key file of node 'node-a' does not match its mesh entry", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"key node id {mesh.Key("node-b").NodeId[..12]}", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"mesh node id {mesh.Key("node-a").NodeId[..12]}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Identity_with_a_key_outside_the_mesh_is_rejected()
    {
        using var mesh = new TestMesh("node-a", "node-b");
        using var stranger = NodeKey.Generate();

        var ex = Assert.Throws<NodeIdentityException>(() => NodeIdentity.Create(mesh.Mesh, stranger, "node-a"));

        Assert.Contains("does not match its mesh entry", ex.Message, StringComparison.Ordinal);
    }
}
