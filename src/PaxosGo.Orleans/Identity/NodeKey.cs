using System.Security.Cryptography;
using System.Text.Json;
using NSec.Cryptography;

namespace PaxosGo.Orleans.Identity;

/// <summary>
/// A node's Ed25519 key pair. Its <see cref="NodeId"/> is the lowercase hex SHA-256 of the raw
/// public key. The private key lives in a key file (see <see cref="Save"/>) readable only by its owner.
/// </summary>
public sealed class NodeKey : IDisposable
{
    /// <summary>The value of the key file's <c>format</c> field.</summary>
    public const string FileFormat = "paxosgo-node-key-v1";

    /// <summary>Length in bytes of a raw Ed25519 private key and of a raw public key.</summary>
    public const int KeyLength = 32;

    /// <summary>Length in bytes of an Ed25519 signature.</summary>
    public const int SignatureLength = 64;

    private const UnixFileMode GroupOrOtherAccess =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    private readonly Key key;
    private readonly byte[] publicKey;

    private NodeKey(Key key)
    {
        this.key = key;
        publicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
        NodeId = ComputeNodeId(publicKey);
    }

    /// <summary>The raw 32-byte Ed25519 public key (a fresh copy on every call).</summary>
    public byte[] PublicKey => (byte[])publicKey.Clone();

    /// <summary>The node id: 64 lowercase hex characters, the SHA-256 of <see cref="PublicKey"/>.</summary>
    public string NodeId { get; }

    /// <summary>Generates a fresh key pair.</summary>
    /// <returns>The new key; the caller disposes it.</returns>
    public static NodeKey Generate() =>
        new(Key.Create(Algorithm, new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport }));

    /// <summary>The node id of <paramref name="publicKey"/>: lowercase hex of its SHA-256.</summary>
    /// <param name="publicKey">A raw public key.</param>
    /// <returns>64 lowercase hex characters.</returns>
    public static string ComputeNodeId(ReadOnlySpan<byte> publicKey) =>
        Convert.ToHexStringLower(SHA256.HashData(publicKey));

    /// <summary>
    /// Loads a key file written by <see cref="Save"/>. Does not check the file's permissions; see
    /// <see cref="HasSafePermissions"/>.
    /// </summary>
    /// <param name="path">The key file.</param>
    /// <returns>The key; the caller disposes it.</returns>
    /// <exception cref="NodeIdentityException">The file is missing, unreadable, not JSON, of another format, or holds no 32-byte private key.</exception>
    public static NodeKey Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] contents;
        try
        {
            contents = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new NodeIdentityException($"the node key file '{path}' does not exist", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new NodeIdentityException($"cannot read the node key file '{path}': {ex.Message}", ex);
        }

        byte[]? privateKey = null;
        try
        {
            using (var document = ParseJson(path, contents))
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new NodeIdentityException($"the node key file '{path}' is not a JSON object");
                }

                if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String)
                {
                    throw new NodeIdentityException($"the node key file '{path}' has no \"format\" field; expected \"{FileFormat}\"");
                }

                if (format.GetString() != FileFormat)
                {
                    throw new NodeIdentityException($"the node key file '{path}' has format \"{format.GetString()}\"; expected \"{FileFormat}\"");
                }

                if (!root.TryGetProperty("privateKey", out var encoded) || encoded.ValueKind != JsonValueKind.String)
                {
                    throw new NodeIdentityException($"the node key file '{path}' has no \"privateKey\" string");
                }

                if (!encoded.TryGetBytesFromBase64(out privateKey))
                {
                    throw new NodeIdentityException($"the node key file '{path}' has a \"privateKey\" that is not valid base64");
                }
            }

            if (privateKey.Length != KeyLength)
            {
                throw new NodeIdentityException(
                    $"the node key file '{path}' has a {privateKey.Length}-byte private key; expected {KeyLength} bytes (a raw Ed25519 private key)");
            }

            var creation = new KeyCreationParameters { ExportPolicy = KeyExportPolicies.AllowPlaintextExport };
            if (!Key.TryImport(Algorithm, privateKey, KeyBlobFormat.RawPrivateKey, out var key, in creation) || key is null)
            {
                throw new NodeIdentityException($"the node key file '{path}' holds a private key that cannot be imported");
            }

            return new NodeKey(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contents);
            if (privateKey is not null)
            {
                CryptographicOperations.ZeroMemory(privateKey);
            }
        }
    }

    /// <summary>
    /// Whether the key file at <paramref name="path"/> grants no access to group or others (mode
    /// 0600 or stricter). Always true on Windows, where Unix modes do not apply.
    /// </summary>
    /// <param name="path">The key file.</param>
    /// <returns>True when only the owner may access the file.</returns>
    public static bool HasSafePermissions(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        return (File.GetUnixFileMode(path) & GroupOrOtherAccess) == 0;
    }

    /// <summary>
    /// Writes the private key to a new key file <c>{"format":"paxosgo-node-key-v1","privateKey":"&lt;base64&gt;"}</c>,
    /// created with mode 0600 from the start (on Unix), creating parent folders as needed.
    /// </summary>
    /// <param name="path">The key file; must not exist yet.</param>
    /// <exception cref="IOException">The file already exists (a key is never overwritten), or cannot be written.</exception>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        if (File.Exists(fullPath) || Directory.Exists(fullPath))
        {
            throw RefuseOverwrite(fullPath, null);
        }

        var folder = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        var privateKey = key.Export(KeyBlobFormat.RawPrivateKey);
        try
        {
            FileStream stream;
            try
            {
                stream = File.Open(fullPath, options);
            }
            catch (IOException ex) when (File.Exists(fullPath))
            {
                throw RefuseOverwrite(fullPath, ex);
            }

            using (stream)
            {
                using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
                {
                    writer.WriteStartObject();
                    writer.WriteString("format", FileFormat);
                    writer.WriteBase64String("privateKey", privateKey);
                    writer.WriteEndObject();
                }

                stream.Flush(flushToDisk: true);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(privateKey);
        }
    }

    /// <summary>Signs <paramref name="data"/> with the private key.</summary>
    /// <param name="data">The bytes to sign.</param>
    /// <returns>The 64-byte Ed25519 signature.</returns>
    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(key, data);

    /// <summary>Releases the private key.</summary>
    public void Dispose() => key.Dispose();

    private static JsonDocument ParseJson(string path, byte[] contents)
    {
        try
        {
            return JsonDocument.Parse(contents);
        }
        catch (JsonException ex)
        {
            throw new NodeIdentityException($"the node key file '{path}' is not valid JSON: {ex.Message}", ex);
        }
    }

    private static IOException RefuseOverwrite(string path, Exception? inner) =>
        new($"refusing to overwrite '{path}': it already exists, and a node key file is never replaced in place (move or delete it first)", inner);
}
