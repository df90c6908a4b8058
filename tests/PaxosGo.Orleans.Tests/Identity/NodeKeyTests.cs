using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using NSec.Cryptography;
using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Identity;

public class NodeKeyTests
{
    private static readonly byte[] Data = Encoding.UTF8.GetBytes("a protocol message");

    [Fact]
    public void Saved_then_loaded_key_has_the_same_identity_and_signs_the_same()
    {
        using var dir = new TempDirectory();
        var path = dir.File("node.key");
        using var original = NodeKey.Generate();
        original.Save(path);

        using var loaded = NodeKey.Load(path);

        Assert.Equal(original.PublicKey, loaded.PublicKey);
        Assert.Equal(original.NodeId, loaded.NodeId);
        // Ed25519 signatures are deterministic: the same private key gives the same bytes.
        Assert.Equal(original.Sign(Data), loaded.Sign(Data));
        var publicKey = PublicKey.Import(SignatureAlgorithm.Ed25519, original.PublicKey, KeyBlobFormat.RawPublicKey);
        Assert.True(SignatureAlgorithm.Ed25519.Verify(publicKey, Data, loaded.Sign(Data)));
    }

    [Fact]
    public void Key_file_is_json_with_format_and_base64_raw_32_byte_private_key()
    {
        using var dir = new TempDirectory();
        var path = dir.File("node.key");
        using var key = NodeKey.Generate();
        key.Save(path);

        using var json = JsonDocument.Parse(File.ReadAllText(path));
        Assert.Equal("paxosgo-node-key-v1", json.RootElement.GetProperty("format").GetString());
        var privateKey = json.RootElement.GetProperty("privateKey").GetBytesFromBase64();
        Assert.Equal(32, privateKey.Length);
        using var imported = Key.Import(SignatureAlgorithm.Ed25519, privateKey, KeyBlobFormat.RawPrivateKey);
        Assert.Equal(key.PublicKey, imported.PublicKey.Export(KeyBlobFormat.RawPublicKey));
    }

    [Fact]
    public void Saved_key_file_has_mode_0600_and_counts_as_safe()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var dir = new TempDirectory();
        var path = dir.File("node.key");
        using var key = NodeKey.Generate();
        key.Save(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.True(NodeKey.HasSafePermissions(path));
    }

    [Theory]
    [InlineData(UnixFileMode.GroupRead)]
    [InlineData(UnixFileMode.OtherRead)]
    [InlineData(UnixFileMode.GroupWrite)]
    [InlineData(UnixFileMode.OtherExecute)]
    public void Key_file_readable_or_writable_by_group_or_others_is_not_safe(UnixFileMode extra)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var dir = new TempDirectory();
        var path = dir.File("node.key");
        using var key = NodeKey.Generate();
        key.Save(path);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | extra);

        Assert.False(NodeKey.HasSafePermissions(path));
    }

    [Fact]
    public void Save_refuses_to_overwrite_an_existing_file_and_leaves_it_intact()
    {
        using var dir = new TempDirectory();
        var path = dir.File("node.key");
        using var first = NodeKey.Generate();
        first.Save(path);
        var before = File.ReadAllBytes(path);
        using var second = NodeKey.Generate();

        var ex = Assert.Throws<IOException>(() => second.Save(path));

        Assert.Contains("refusing to overwrite", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(path));
        using var loaded = NodeKey.Load(path);
        Assert.Equal(first.NodeId, loaded.NodeId);
    }

    [Fact]
    public void Save_creates_missing_parent_folders()
    {
        using var dir = new TempDirectory();
        var path = dir.File("keys", "node-a", "node.key");
        using var key = NodeKey.Generate();

        key.Save(path);

        using var loaded = NodeKey.Load(path);
        Assert.Equal(key.NodeId, loaded.NodeId);
    }

    [Fact]
    public void Loading_a_missing_key_file_throws_NodeIdentityException_naming_the_path()
    {
        using var dir = new TempDirectory();
        var path = dir.File("absent.key");

        var ex = Assert.Throws<NodeIdentityException>(() => NodeKey.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadKeyFiles() => new()
    {
        { "this is not json", "not valid JSON" },
        { "[]", "not a JSON object" },
        { """{"privateKey":"AAAA"}""", "no \"format\"" },
        { """{"format":"paxosgo-node-key-v0","privateKey":"AAAA"}""", "paxosgo-node-key-v0" },
        { """{"format":"paxosgo-node-key-v1"}""", "no \"privateKey\"" },
        { """{"format":"paxosgo-node-key-v1","privateKey":42}""", "no \"privateKey\"" },
        { """{"format":"paxosgo-node-key-v1","privateKey":"not base64!"}""", "not valid base64" },
        { $$"""{"format":"paxosgo-node-key-v1","privateKey":"{{Convert.ToBase64String(new byte[31])}}"}""", "31-byte private key" },
        { $$"""{"format":"paxosgo-node-key-v1","privateKey":"{{Convert.ToBase64String(new byte[64])}}"}""", "64-byte private key" },
    };

    [Theory]
    [MemberData(nameof(BadKeyFiles))]
    public void Bad_key_file_is_rejected_with_NodeIdentityException_naming_the_path_and_the_problem(string contents, string problem)
    {
        using var dir = new TempDirectory();
        var path = dir.File("bad.key");
        File.WriteAllText(path, contents);

        var ex = Assert.Throws<NodeIdentityException>(() => NodeKey.Load(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NodeId_is_64_lowercase_hex_chars_of_sha256_of_the_public_key()
    {
        using var key = NodeKey.Generate();

        var expected = string.Concat(SHA256.HashData(key.PublicKey).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(expected, key.NodeId);
        Assert.Matches(new Regex("^[0-9a-f]{64}$"), key.NodeId);
        Assert.Equal(key.NodeId, NodeKey.ComputeNodeId(key.PublicKey));
    }

    [Fact]
    public void Public_key_is_32_bytes_signature_64_bytes_and_fresh_keys_differ()
    {
        using var a = NodeKey.Generate();
        using var b = NodeKey.Generate();

        Assert.Equal(32, a.PublicKey.Length);
        Assert.Equal(64, a.Sign(Data).Length);
        Assert.NotEqual(a.NodeId, b.NodeId);
        Assert.NotEqual(a.Sign(Data), b.Sign(Data));
    }

    [Fact]
    public void Modifying_the_returned_public_key_does_not_change_the_key()
    {
        using var key = NodeKey.Generate();
        var copy = key.PublicKey;
        copy[0] ^= 0xff;

        Assert.NotEqual(copy, key.PublicKey);
        Assert.Equal(NodeKey.ComputeNodeId(key.PublicKey), key.NodeId);
    }
}
