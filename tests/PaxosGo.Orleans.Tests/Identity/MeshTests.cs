using System.Text.Json.Nodes;
using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Identity;

public class MeshTests
{
    private static string Hex(NodeKey key) => Convert.ToHexStringLower(key.PublicKey);

    /// <summary>The JSON of a valid three-node mesh, for editing into an invalid one.</summary>
    private static JsonObject ValidMeshJson(TestMesh mesh) => JsonNode.Parse(mesh.Mesh.ToJson())!.AsObject();

    private static JsonObject NodeJson(JsonObject mesh, string name) =>
        mesh["nodes"]!.AsArray().Select(n => n!.AsObject()).Single(n => (string?)n["name"] == name);

    private static MeshConfigurationException ParseFails(JsonNode json) =>
        Assert.Throws<MeshConfigurationException>(() => Mesh.Parse(json.ToJsonString()));

    private static MeshConfigurationException CreateFails(params MeshNode[] nodes) =>
        Assert.Throws<MeshConfigurationException>(() => Mesh.Create(nodes));

    [Fact]
    public void Mesh_round_trips_through_ToJson_and_Parse()
    {
        using var mesh = new TestMesh("node-a", "node-b", "node-c");

        var json = mesh.Mesh.ToJson();
        var parsed = Mesh.Parse(json);

        Assert.Equal(mesh.Mesh.Nodes, parsed.Nodes);
        Assert.Equal(json, parsed.ToJson());
    }

    [Fact]
    public void Mesh_file_uses_the_documented_camel_case_format()
    {
        using var key = NodeKey.Generate();
        var mesh = Mesh.Create([MeshNode.For("node-a", key, new MeshEndpoints("127.0.0.1", 11111, 30000, 8080, 5353))]);

        var json = JsonNode.Parse(mesh.ToJson())!;

        Assert.Equal("paxosgo-mesh-v1", (string?)json["format"]);
        var node = json["nodes"]![0]!;
        Assert.Equal("node-a", (string?)node["name"]);
        Assert.Equal(key.NodeId, (string?)node["nodeId"]);
        Assert.Equal(Hex(key), (string?)node["publicKey"]);
        Assert.Equal("127.0.0.1", (string?)node["endpoints"]!["host"]);
        Assert.Equal(11111, (int)node["endpoints"]!["siloPort"]!);
        Assert.Equal(30000, (int)node["endpoints"]!["gatewayPort"]!);
        Assert.Equal(8080, (int)node["endpoints"]!["httpPort"]!);
        Assert.Equal(5353, (int)node["endpoints"]!["dnsPort"]!);
    }

    [Fact]
    public void Mesh_loads_from_a_file()
    {
        using var dir = new TempDirectory();
        using var mesh = new TestMesh("node-a", "node-b");
        var path = dir.File("mesh.json");
        File.WriteAllText(path, mesh.Mesh.ToJson());

        Assert.Equal(mesh.Mesh.Nodes, Mesh.Load(path).Nodes);
    }

    [Fact]
    public void Loading_a_missing_or_invalid_mesh_file_names_the_path()
    {
        using var dir = new TempDirectory();
        var missing = dir.File("absent.json");
        var invalid = dir.File("mesh.json");
        File.WriteAllText(invalid, """{"format":"paxosgo-mesh-v1","nodes":[]}""");

        var missingError = Assert.Throws<MeshConfigurationException>(() => Mesh.Load(missing));
        var invalidError = Assert.Throws<MeshConfigurationException>(() => Mesh.Load(invalid));

        Assert.Contains(missing, missingError.Message, StringComparison.Ordinal);
        Assert.Contains(invalid, invalidError.Message, StringComparison.Ordinal);
        Assert.Contains("no nodes", invalidError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nodes_are_ordered_by_node_id_whatever_the_file_order()
    {
        using var mesh = new TestMesh("n1", "n2", "n3", "n4", "n5", "n6");
        var byNodeId = mesh.Mesh.Nodes.OrderBy(n => n.NodeId, StringComparer.Ordinal).ToList();
        Assert.Equal(byNodeId, mesh.Mesh.Nodes);

        var json = ValidMeshJson(mesh);
        var reversed = new JsonArray(json["nodes"]!.AsArray().Reverse().Select(n => n!.DeepClone()).ToArray());
        json["nodes"] = reversed;
        var parsed = Mesh.Parse(json.ToJsonString());
        var fromShuffledList = Mesh.Create(mesh.Mesh.Nodes.OrderBy(n => n.Name == "n4" ? 0 : 1).ThenByDescending(n => n.Name));

        Assert.Equal(byNodeId, parsed.Nodes);
        Assert.Equal(byNodeId, fromShuffledList.Nodes);
        for (var i = 0; i < parsed.Count; i++)
        {
            Assert.Equal(i, parsed.IndexOf(parsed[i].Name));
            Assert.Same(parsed[i], parsed.FindByName(parsed[i].Name));
        }
    }

    [Fact]
    public void Unknown_name_has_no_index_and_is_not_found()
    {
        using var mesh = new TestMesh("node-a", "node-b");

        Assert.Null(mesh.Mesh.FindByName("node-z"));
        var ex = Assert.Throws<NodeIdentityException>(() => mesh.Mesh.IndexOf("node-z"));
        Assert.Contains("node 'node-z' is not in the mesh", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Uppercase_hex_is_accepted_and_normalized_to_lowercase()
    {
        using var key = NodeKey.Generate();
        var node = new MeshNode("node-a", key.NodeId.ToUpperInvariant(), Hex(key).ToUpperInvariant(), TestMesh.Endpoints(0));

        var mesh = Mesh.Create([node]);

        Assert.Equal(key.NodeId, mesh[0].NodeId);
        Assert.Equal(Hex(key), mesh[0].PublicKey);
    }

    [Fact]
    public void Text_that_is_not_json_is_rejected()
    {
        var ex = Assert.Throws<MeshConfigurationException>(() => Mesh.Parse("{ nodes: oops"));
        Assert.Contains("not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"format":"paxosgo-mesh-v2","nodes":[]}""", "paxosgo-mesh-v2")]
    [InlineData("""{"nodes":[]}""", "no \"format\"")]
    [InlineData("""[]""", "must be a JSON object")]
    public void Wrong_or_missing_format_field_is_rejected(string json, string problem)
    {
        var ex = Assert.Throws<MeshConfigurationException>(() => Mesh.Parse(json));
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"format":"paxosgo-mesh-v1","nodes":[]}""")]
    [InlineData("""{"format":"paxosgo-mesh-v1"}""")]
    [InlineData("""{"format":"paxosgo-mesh-v1","nodes":null}""")]
    public void Mesh_without_nodes_is_rejected(string json)
    {
        var ex = Assert.Throws<MeshConfigurationException>(() => Mesh.Parse(json));
        Assert.Contains("no nodes", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no nodes", Assert.Throws<MeshConfigurationException>(() => Mesh.Create([])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_without_a_name_is_rejected_naming_its_position()
    {
        using var mesh = new TestMesh("node-a", "node-b", "node-c");
        var json = ValidMeshJson(mesh);
        json["nodes"]![1]!.AsObject().Remove("name");

        var ex = ParseFails(json);

        Assert.Contains("nodes[1]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("name is missing", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Node-A")]
    [InlineData("-node")]
    [InlineData("node_a")]
    [InlineData("node a")]
    [InlineData("nöde")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123")]
    public void Node_name_not_matching_the_pattern_is_rejected_naming_the_node(string name)
    {
        using var key = NodeKey.Generate();
        using var other = NodeKey.Generate();

        var ex = CreateFails(MeshNode.For("node-z", other, TestMesh.Endpoints(0)), MeshNode.For(name, key, TestMesh.Endpoints(1)));

        Assert.Contains($"nodes[1] (name '{name}')", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is invalid", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("node-a-")]
    [InlineData("a12345678901234567890123456789012345678901234567890123456789012")]
    public void Node_names_matching_the_pattern_are_accepted(string name)
    {
        using var key = NodeKey.Generate();

        Assert.Equal(name, Mesh.Create([MeshNode.For(name, key, TestMesh.Endpoints(0))])[0].Name);
    }

    [Fact]
    public void Duplicate_node_name_is_rejected_naming_the_node()
    {
        using var a = NodeKey.Generate();
        using var b = NodeKey.Generate();

        var ex = CreateFails(MeshNode.For("node-a", a, TestMesh.Endpoints(0)), MeshNode.For("node-a", b, TestMesh.Endpoints(1)));

        Assert.Contains("mesh node 'node-a'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("duplicate name", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(62)]
    [InlineData(66)]
    [InlineData(0)]
    public void Public_key_of_wrong_length_is_rejected_naming_the_node(int hexLength)
    {
        using var mesh = new TestMesh("node-a", "node-b");
        var json = ValidMeshJson(mesh);
        NodeJson(json, "node-b")["publicKey"] = new string('a', hexLength);

        var ex = ParseFails(json);

        Assert.Contains("mesh node 'node-b'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("publicKey", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Public_key_that_is_not_hex_is_rejected_naming_the_node()
    {
        using var key = NodeKey.Generate();
        var node = MeshNode.For("node-a", key, TestMesh.Endpoints(0));

        var ex = CreateFails(node with { PublicKey = "zz" + node.PublicKey[2..] });

        Assert.Contains("mesh node 'node-a': publicKey must be 64 hex characters", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Node_id_that_is_not_the_sha256_of_the_public_key_is_rejected_naming_the_node()
    {
        using var mesh = new TestMesh("node-a", "node-b");
        var json = ValidMeshJson(mesh);
        NodeJson(json, "node-a")["nodeId"] = mesh.Key("node-b").NodeId;

        var ex = ParseFails(json);

        Assert.Contains("mesh node 'node-a'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is not the SHA-256 of its publicKey", ex.Message, StringComparison.Ordinal);
        Assert.Contains(mesh.Key("node-a").NodeId, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_node_id_is_rejected_naming_the_node()
    {
        using var mesh = new TestMesh("node-a", "node-b");
        var json = ValidMeshJson(mesh);
        NodeJson(json, "node-b").Remove("nodeId");

        var ex = ParseFails(json);

        Assert.Contains("mesh node 'node-b': nodeId is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_node_id_is_rejected_naming_both_nodes()
    {
        using var key = NodeKey.Generate();

        var ex = CreateFails(MeshNode.For("node-a", key, TestMesh.Endpoints(0)), MeshNode.For("node-b", key, TestMesh.Endpoints(1)));

        Assert.Contains("mesh node 'node-b': duplicate nodeId", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'node-a'", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Empty_host_is_rejected_naming_the_node(string? host)
    {
        using var mesh = new TestMesh("node-a", "node-b");
        var json = ValidMeshJson(mesh);
        var endpoints = NodeJson(json, "node-b")["endpoints"]!.AsObject();
        if (host is null)
        {
            endpoints.Remove("host");
        }
        else
        {
            endpoints["host"] = host;
        }

        var ex = ParseFails(json);

        Assert.Contains("mesh node 'node-b': endpoints.host is empty", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_endpoints_are_rejected_naming_the_node()
    {
        using var mesh = new TestMesh("node-a", "node-b");
        var json = ValidMeshJson(mesh);
        NodeJson(json, "node-a").Remove("endpoints");

        var ex = ParseFails(json);

        Assert.Contains("mesh node 'node-a': endpoints are missing", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("siloPort", 0)]
    [InlineData("gatewayPort", 65536)]
    [InlineData("httpPort", -1)]
    [InlineData("dnsPort", 70000)]
    [InlineData("siloPort", 4294967296L)]
    public void Port_outside_1_to_65535_is_rejected_naming_the_node_and_port(string field, long port)
    {
        using var mesh = new TestMesh("node-a", "node-b");
        var json = ValidMeshJson(mesh);
        NodeJson(json, "node-b")["endpoints"]![field] = port;

        var ex = ParseFails(json);

        Assert.Contains($"mesh node 'node-b': endpoints.{field} {port} is outside 1..65535", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("siloPort")]
    [InlineData("dnsPort")]
    public void Missing_port_is_rejected_naming_the_node_and_port(string field)
    {
        using var mesh = new TestMesh("node-a", "node-b");
        var json = ValidMeshJson(mesh);
        NodeJson(json, "node-a")["endpoints"]!.AsObject().Remove(field);

        var ex = ParseFails(json);

        Assert.Contains($"mesh node 'node-a': endpoints.{field} is missing", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Port_given_as_a_string_is_rejected_naming_the_node_and_port()
    {
        using var mesh = new TestMesh("node-a", "node-b");
        var json = ValidMeshJson(mesh);
        NodeJson(json, "node-a")["endpoints"]!["httpPort"] = "8080";

        var ex = ParseFails(json);

        Assert.Contains("mesh node 'node-a': endpoints.httpPort must be a number", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("siloPort", "siloPort")]
    [InlineData("gatewayPort", "httpPort")]
    [InlineData("dnsPort", "siloPort")]
    public void Two_nodes_on_one_host_sharing_any_port_are_rejected_naming_both(string firstField, string secondField)
    {
        using var a = NodeKey.Generate();
        using var b = NodeKey.Generate();
        var first = new MeshEndpoints("10.0.0.1", 11111, 30000, 8080, 5353);
        var second = With(new MeshEndpoints("10.0.0.1", 11112, 30001, 8081, 5354), secondField, Get(first, firstField));

        var ex = CreateFails(MeshNode.For("node-a", a, first), MeshNode.For("node-b", b, second));

        Assert.Contains(
            $"mesh node 'node-b': endpoints.{secondField} {Get(first, firstField)} on host 10.0.0.1 is already used by node 'node-a' ({firstField})",
            ex.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Host_names_differing_only_in_case_count_as_the_same_host()
    {
        using var a = NodeKey.Generate();
        using var b = NodeKey.Generate();

        var ex = CreateFails(
            MeshNode.For("node-a", a, new MeshEndpoints("Host.Example", 1, 2, 3, 4)),
            MeshNode.For("node-b", b, new MeshEndpoints("host.example", 5, 6, 7, 1)));

        Assert.Contains("mesh node 'node-b': endpoints.dnsPort 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains("'node-a' (siloPort)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void One_node_using_a_port_twice_is_rejected_naming_the_node()
    {
        using var key = NodeKey.Generate();

        var ex = CreateFails(MeshNode.For("node-a", key, new MeshEndpoints("127.0.0.1", 11111, 30000, 11111, 5353)));

        Assert.Contains("mesh node 'node-a': endpoints.httpPort 11111 is also its siloPort", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nodes_on_different_hosts_may_use_the_same_ports()
    {
        using var a = NodeKey.Generate();
        using var b = NodeKey.Generate();

        var mesh = Mesh.Create(
        [
            MeshNode.For("node-a", a, new MeshEndpoints("10.0.0.1", 11111, 30000, 8080, 5353)),
            MeshNode.For("node-b", b, new MeshEndpoints("10.0.0.2", 11111, 30000, 8080, 5353)),
        ]);

        Assert.Equal(2, mesh.Count);
    }

    private static int Get(MeshEndpoints e, string field) => field switch
    {
        "siloPort" => e.SiloPort,
        "gatewayPort" => e.GatewayPort,
        "httpPort" => e.HttpPort,
        "dnsPort" => e.DnsPort,
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };

    private static MeshEndpoints With(MeshEndpoints e, string field, int port) => field switch
    {
        "siloPort" => e with { SiloPort = port },
        "gatewayPort" => e with { GatewayPort = port },
        "httpPort" => e with { HttpPort = port },
        "dnsPort" => e with { DnsPort = port },
        _ => throw new ArgumentOutOfRangeException(nameof(field)),
    };
}
