using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace PaxosGo.Orleans.Identity;

/// <summary>
/// The mesh: every node's name, identity and endpoints, as read from the mesh file
/// <c>{"format":"paxosgo-mesh-v1","nodes":[{"name":…,"nodeId":…,"publicKey":…,"endpoints":{"host":…,"siloPort":…,"gatewayPort":…,"httpPort":…,"dnsPort":…}}]}</c>.
/// <see cref="Nodes"/> is ordered by node id (ordinal), whatever the file order, and a node's index
/// in it is its protocol <c>NodeId</c>.
/// </summary>
public sealed partial class Mesh
{
    /// <summary>The value of the mesh file's <c>format</c> field.</summary>
    public const string FileFormat = "paxosgo-mesh-v1";

    private const string NamePatternText = "^[a-z0-9][a-z0-9-]{0,62}$";
    private const int HexKeyLength = 2 * NodeKey.KeyLength;

    private static readonly JsonDocumentOptions ReadOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    private readonly MeshNode[] nodes;
    private readonly Dictionary<string, int> indexByName;

    private Mesh(MeshNode[] nodes)
    {
        this.nodes = nodes;
        indexByName = new Dictionary<string, int>(nodes.Length, StringComparer.Ordinal);
        for (var i = 0; i < nodes.Length; i++)
        {
            indexByName.Add(nodes[i].Name, i);
        }
    }

    /// <summary>The nodes, ordered by node id (ordinal); a node's index here is its protocol node id.</summary>
    public IReadOnlyList<MeshNode> Nodes => nodes;

    /// <summary>The number of nodes.</summary>
    public int Count => nodes.Length;

    /// <summary>The node with protocol index <paramref name="index"/>.</summary>
    /// <param name="index">0 .. <see cref="Count"/> - 1.</param>
    public MeshNode this[int index] => nodes[index];

    /// <summary>Reads and validates a mesh file.</summary>
    /// <param name="path">The mesh file.</param>
    /// <returns>The mesh.</returns>
    /// <exception cref="MeshConfigurationException">The file is missing, unreadable or invalid; the message names the file and the offending node.</exception>
    public static Mesh Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string json;
        try
        {
            json = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MeshConfigurationException($"the mesh file '{path}' does not exist", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new MeshConfigurationException($"cannot read the mesh file '{path}': {ex.Message}", ex);
        }

        try
        {
            return Parse(json);
        }
        catch (MeshConfigurationException ex)
        {
            throw new MeshConfigurationException($"mesh file '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Parses and validates the JSON text of a mesh file.</summary>
    /// <param name="json">The mesh file's contents.</param>
    /// <returns>The mesh.</returns>
    /// <exception cref="MeshConfigurationException">The text is not a valid mesh; the message names the offending node.</exception>
    public static Mesh Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, ReadOptions);
        }
        catch (JsonException ex)
        {
            throw new MeshConfigurationException($"the mesh is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new MeshConfigurationException("the mesh must be a JSON object");
            }

            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String)
            {
                throw new MeshConfigurationException($"the mesh has no \"format\" field; expected \"{FileFormat}\"");
            }

            if (format.GetString() != FileFormat)
            {
                throw new MeshConfigurationException($"the mesh has format \"{format.GetString()}\"; expected \"{FileFormat}\"");
            }

            if (!root.TryGetProperty("nodes", out var nodesElement) || nodesElement.ValueKind == JsonValueKind.Null)
            {
                throw new MeshConfigurationException("the mesh has no nodes");
            }

            if (nodesElement.ValueKind != JsonValueKind.Array)
            {
                throw new MeshConfigurationException("the mesh's \"nodes\" field must be an array");
            }

            var read = new List<MeshNode>();
            var position = 0;
            foreach (var element in nodesElement.EnumerateArray())
            {
                read.Add(ReadNode(element, position));
                position++;
            }

            return Create(read);
        }
    }

    /// <summary>Validates <paramref name="nodes"/> (in any order) and builds the mesh.</summary>
    /// <param name="nodes">The nodes.</param>
    /// <returns>The mesh, its nodes ordered by node id; hex fields are normalized to lowercase.</returns>
    /// <exception cref="MeshConfigurationException">A node is invalid or clashes with another; the message names it.</exception>
    public static Mesh Create(IEnumerable<MeshNode> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var validated = Validate(nodes.ToList());
        Array.Sort(validated, static (a, b) => string.CompareOrdinal(a.NodeId, b.NodeId));
        return new Mesh(validated);
    }

    /// <summary>The protocol index of the node named <paramref name="name"/>.</summary>
    /// <param name="name">The node's name.</param>
    /// <returns>Its index in <see cref="Nodes"/>.</returns>
    /// <exception cref="NodeIdentityException">No node has that name.</exception>
    public int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (indexByName.TryGetValue(name, out var index))
        {
            return index;
        }

        throw new NodeIdentityException($"node '{name}' is not in the mesh (nodes: {string.Join(", ", nodes.Select(n => n.Name))})");
    }

    /// <summary>The node named <paramref name="name"/>, or null when there is none.</summary>
    /// <param name="name">The node's name.</param>
    /// <returns>The node, or null.</returns>
    public MeshNode? FindByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return indexByName.TryGetValue(name, out var index) ? nodes[index] : null;
    }

    /// <summary>The mesh file's JSON text, indented, nodes in <see cref="Nodes"/> order.</summary>
    /// <returns>Text that <see cref="Parse"/> reads back to an equal mesh.</returns>
    public string ToJson()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("format", FileFormat);
            writer.WriteStartArray("nodes");
            foreach (var node in nodes)
            {
                writer.WriteStartObject();
                writer.WriteString("name", node.Name);
                writer.WriteString("nodeId", node.NodeId);
                writer.WriteString("publicKey", node.PublicKey);
                writer.WriteStartObject("endpoints");
                writer.WriteString("host", node.Endpoints.Host);
                writer.WriteNumber("siloPort", node.Endpoints.SiloPort);
                writer.WriteNumber("gatewayPort", node.Endpoints.GatewayPort);
                writer.WriteNumber("httpPort", node.Endpoints.HttpPort);
                writer.WriteNumber("dnsPort", node.Endpoints.DnsPort);
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    [GeneratedRegex(NamePatternText, RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    private static bool IsValidName(string? name) => !string.IsNullOrEmpty(name) && NamePattern().IsMatch(name);

    /// <summary>How messages name the node at <paramref name="position"/> (its place in the input).</summary>
    private static string Describe(int position, string? name)
    {
        if (IsValidName(name))
        {
            return $"mesh node '{name}'";
        }

        return string.IsNullOrEmpty(name) ? $"mesh node nodes[{position}]" : $"mesh node nodes[{position}] (name '{name}')";
    }

    private static MeshNode ReadNode(JsonElement element, int position)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new MeshConfigurationException($"mesh node nodes[{position}] is not a JSON object");
        }

        var name = ReadString(element, "name", position, null);
        var who = Describe(position, name);
        var nodeId = ReadString(element, "nodeId", position, who);
        var publicKey = ReadString(element, "publicKey", position, who);
        MeshEndpoints? endpoints = null;
        if (element.TryGetProperty("endpoints", out var e) && e.ValueKind != JsonValueKind.Null)
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                throw new MeshConfigurationException($"{who}: \"endpoints\" must be a JSON object");
            }

            endpoints = new MeshEndpoints(
                ReadString(e, "host", position, who) ?? string.Empty,
                ReadPort(e, "siloPort", who),
                ReadPort(e, "gatewayPort", who),
                ReadPort(e, "httpPort", who),
                ReadPort(e, "dnsPort", who));
        }

        // Missing fields reach Validate as nulls, which reports them; the record is not exposed before that.
        return new MeshNode(name!, nodeId!, publicKey!, endpoints!);
    }

    private static string? ReadString(JsonElement element, string field, int position, string? who)
    {
        if (!element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new MeshConfigurationException($"{who ?? $"mesh node nodes[{position}]"}: \"{field}\" must be a string");
        }

        return value.GetString();
    }

    private static int ReadPort(JsonElement endpoints, string field, string who)
    {
        if (!endpoints.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw new MeshConfigurationException($"{who}: endpoints.{field} is missing");
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw new MeshConfigurationException($"{who}: endpoints.{field} must be a number");
        }

        if (!value.TryGetInt32(out var port))
        {
            throw new MeshConfigurationException($"{who}: endpoints.{field} {value.GetRawText()} is outside 1..65535");
        }

        return port;
    }

    private static MeshNode[] Validate(List<MeshNode> input)
    {
        if (input.Count == 0)
        {
            throw new MeshConfigurationException("the mesh has no nodes");
        }

        var result = new MeshNode[input.Count];
        var positionByName = new Dictionary<string, int>(StringComparer.Ordinal);
        var nameByNodeId = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var position = 0; position < input.Count; position++)
        {
            var node = input[position] ?? throw new MeshConfigurationException($"mesh node nodes[{position}] is null");
            var who = Describe(position, node.Name);

            if (string.IsNullOrEmpty(node.Name))
            {
                throw new MeshConfigurationException($"{who}: name is missing");
            }

            if (!IsValidName(node.Name))
            {
                throw new MeshConfigurationException(
                    $"{who}: name '{node.Name}' is invalid; a name is 1 to 63 lowercase letters, digits and '-', starting with a letter or digit ({NamePatternText})");
            }

            if (!positionByName.TryAdd(node.Name, position))
            {
                throw new MeshConfigurationException(
                    $"{who}: duplicate name; nodes[{positionByName[node.Name]}] and nodes[{position}] are both named '{node.Name}'");
            }

            if (string.IsNullOrEmpty(node.PublicKey))
            {
                throw new MeshConfigurationException($"{who}: publicKey is missing");
            }

            if (!IsHex(node.PublicKey, HexKeyLength))
            {
                throw new MeshConfigurationException(
                    $"{who}: publicKey must be {HexKeyLength} hex characters (a raw {NodeKey.KeyLength}-byte Ed25519 public key); got '{Abbreviate(node.PublicKey)}' ({node.PublicKey.Length} characters)");
            }

            var publicKey = Convert.FromHexString(node.PublicKey);
            var expectedNodeId = NodeKey.ComputeNodeId(publicKey);
            if (string.IsNullOrEmpty(node.NodeId))
            {
                throw new MeshConfigurationException($"{who}: nodeId is missing; for its publicKey it must be {expectedNodeId}");
            }

            if (!string.Equals(node.NodeId, expectedNodeId, StringComparison.OrdinalIgnoreCase))
            {
                throw new MeshConfigurationException(
                    $"{who}: nodeId '{Abbreviate(node.NodeId)}' is not the SHA-256 of its publicKey; it must be {expectedNodeId}");
            }

            if (!nameByNodeId.TryAdd(expectedNodeId, node.Name))
            {
                throw new MeshConfigurationException(
                    $"{who}: duplicate nodeId {expectedNodeId}; node '{nameByNodeId[expectedNodeId]}' has the same public key");
            }

            var endpoints = node.Endpoints ?? throw new MeshConfigurationException($"{who}: endpoints are missing");
            if (string.IsNullOrWhiteSpace(endpoints.Host))
            {
                throw new MeshConfigurationException($"{who}: endpoints.host is empty");
            }

            foreach (var (field, port) in Ports(endpoints))
            {
                if (port is < 1 or > 65535)
                {
                    throw new MeshConfigurationException($"{who}: endpoints.{field} {port} is outside 1..65535");
                }
            }

            result[position] = node with { NodeId = expectedNodeId, PublicKey = Convert.ToHexStringLower(publicKey) };
        }

        CheckPortClashes(result);
        return result;
    }

    private static void CheckPortClashes(MeshNode[] nodes)
    {
        // host (case-insensitive) -> port -> (node name, port field)
        var used = new Dictionary<string, Dictionary<int, (string Node, string Field)>>(StringComparer.OrdinalIgnoreCase);
        foreach (var node in nodes)
        {
            var host = node.Endpoints.Host.Trim();
            if (!used.TryGetValue(host, out var ports))
            {
                ports = [];
                used.Add(host, ports);
            }

            foreach (var (field, port) in Ports(node.Endpoints))
            {
                if (ports.TryGetValue(port, out var owner))
                {
                    var clash = owner.Node == node.Name
                        ? $"is also its {owner.Field}"
                        : $"on host {host} is already used by node '{owner.Node}' ({owner.Field})";
                    throw new MeshConfigurationException($"mesh node '{node.Name}': endpoints.{field} {port} {clash}");
                }

                ports.Add(port, (node.Name, field));
            }
        }
    }

    private static (string Field, int Port)[] Ports(MeshEndpoints endpoints) =>
    [
        ("siloPort", endpoints.SiloPort),
        ("gatewayPort", endpoints.GatewayPort),
        ("httpPort", endpoints.HttpPort),
        ("dnsPort", endpoints.DnsPort),
    ];

    private static bool IsHex(string text, int length)
    {
        if (text.Length != length)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Abbreviate(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
