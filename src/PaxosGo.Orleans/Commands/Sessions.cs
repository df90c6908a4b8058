using PaxosGo.Core;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using NSec.Cryptography;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Commands;

/// <summary>
/// A command authenticated by a session MAC instead of a signature: the same fields and hash as a
/// <see cref="SignedCommand"/>, then the session it belongs to and the HMAC-SHA256, under the
/// session key, of <see cref="SessionHandshake.MacInput"/> (session id and hash).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SessionCommand(
    [property: Id(0)] string Application,
    [property: Id(1)] string ClientId,
    [property: Id(2)] ulong RequestId,
    [property: Id(3)] byte[] Payload,
    [property: Id(4)] byte[] Hash,
    [property: Id(5)] byte[] SessionId,
    [property: Id(6)] byte[] Mac);

/// <summary>
/// A client's request to open a session with a node: its ephemeral X25519 public key, signed with
/// its registered Ed25519 key (<see cref="SessionHandshake.RequestTranscript"/>).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SessionRequest(
    [property: Id(0)] string Application,
    [property: Id(1)] string ClientId,
    [property: Id(2)] byte[] ClientEphemeral,
    [property: Id(3)] byte[] Signature);

/// <summary>
/// A node's answer to a <see cref="SessionRequest"/>: the session id, the node's ephemeral X25519
/// public key, and the node's Ed25519 signature of <see cref="SessionHandshake.GrantTranscript"/>,
/// which a client checks against the mesh.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SessionGrant(
    [property: Id(0)] string Node,
    [property: Id(1)] byte[] SessionId,
    [property: Id(2)] byte[] NodeEphemeral,
    [property: Id(3)] byte[] Signature);

/// <summary>
/// The session handshake: what each side signs, how both derive the session key, and what a MAC
/// covers (docs/client-protocol.md, "Sessions").
/// </summary>
public static class SessionHandshake
{
    /// <summary>Domain tag of the client's signed request.</summary>
    public const string RequestDomain = "paxosgo-session-request-v1";

    /// <summary>Domain tag of the node's signed grant.</summary>
    public const string GrantDomain = "paxosgo-session-grant-v1";

    /// <summary>Domain tag of the key derivation's info.</summary>
    public const string KeyDomain = "paxosgo-session-key-v1";

    /// <summary>Domain tag of every command MAC.</summary>
    public const string MacDomain = "paxosgo-command-mac-v1";

    /// <summary>Length of a session id.</summary>
    public const int SessionIdLength = 16;

    /// <summary>Length of an X25519 public key.</summary>
    public const int EphemeralLength = 32;

    /// <summary>Length of a MAC (HMAC-SHA256).</summary>
    public const int MacLength = 32;

    /// <summary>
    /// What a MAC covers in place of a command hash to close a session: SHA-256 of
    /// <c>paxosgo-session-close-v1</c> (never a command's hash, whose encoding starts with another tag).
    /// </summary>
    public static ReadOnlySpan<byte> CloseHash => CloseHashBytes;

    private static readonly byte[] CloseHashBytes = SHA256.HashData(Encoding.ASCII.GetBytes("paxosgo-session-close-v1"));

    private static readonly KeyAgreementAlgorithm Agreement = KeyAgreementAlgorithm.X25519;
    private static readonly MacAlgorithm Hmac = MacAlgorithm.HmacSha256;

    /// <summary>What the client signs: <see cref="RequestDomain"/>, application, client id, its ephemeral key.</summary>
    public static byte[] RequestTranscript(string application, string clientId, ReadOnlySpan<byte> clientEphemeral) =>
        Fields(RequestDomain, Encoding.UTF8.GetBytes(application), Encoding.UTF8.GetBytes(clientId), clientEphemeral.ToArray());

    /// <summary>What the node signs: <see cref="GrantDomain"/>, application, client id, node name, both ephemeral keys, session id.</summary>
    public static byte[] GrantTranscript(string application, string clientId, string node, ReadOnlySpan<byte> clientEphemeral, ReadOnlySpan<byte> nodeEphemeral, ReadOnlySpan<byte> sessionId) =>
        Fields(
            GrantDomain,
            Encoding.UTF8.GetBytes(application),
            Encoding.UTF8.GetBytes(clientId),
            Encoding.UTF8.GetBytes(node),
            clientEphemeral.ToArray(),
            nodeEphemeral.ToArray(),
            sessionId.ToArray());

    /// <summary>What a command's MAC covers: <see cref="MacDomain"/>, the session id and the command's hash.</summary>
    public static byte[] MacInput(ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> hash) =>
        Fields(MacDomain, sessionId.ToArray(), hash.ToArray());

    /// <summary>A fresh ephemeral X25519 key pair (its private half cannot be exported).</summary>
    public static Key NewEphemeral() => Key.Create(Agreement);

    /// <summary>The raw public half of an ephemeral key.</summary>
    public static byte[] PublicOf(Key ephemeral)
    {
        ArgumentNullException.ThrowIfNull(ephemeral);
        return ephemeral.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>
    /// The session key: X25519 of our ephemeral with the peer's, then HKDF-SHA256 with the session id
    /// as salt and <see cref="KeyDomain"/> plus SHA-256 of the grant transcript as info, as an
    /// HMAC-SHA256 key. Null when the peer's key is not a valid X25519 key or yields a weak secret.
    /// </summary>
    public static Key? DeriveKey(Key ownEphemeral, ReadOnlySpan<byte> peerEphemeral, ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> grantTranscript)
    {
        ArgumentNullException.ThrowIfNull(ownEphemeral);
        if (peerEphemeral.Length != EphemeralLength) return null;
        if (!PublicKey.TryImport(Agreement, peerEphemeral, KeyBlobFormat.RawPublicKey, out var peer) || peer is null) return null;
        using var secret = Agreement.Agree(ownEphemeral, peer);
        if (secret is null) return null;
        byte[] info = [.. Encoding.ASCII.GetBytes(KeyDomain), .. SHA256.HashData(grantTranscript)];
        return KeyDerivationAlgorithm.HkdfSha256.DeriveKey(secret, sessionId, info, Hmac);
    }

    /// <summary>The MAC of a command hash in a session.</summary>
    public static byte[] Mac(Key sessionKey, ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> hash) =>
        Hmac.Mac(sessionKey, MacInput(sessionId, hash));

    /// <summary>Whether <paramref name="mac"/> is the MAC of <paramref name="hash"/> in the session (constant time).</summary>
    public static bool MacVerifies(Key sessionKey, ReadOnlySpan<byte> sessionId, ReadOnlySpan<byte> hash, ReadOnlySpan<byte> mac) =>
        mac.Length == MacLength && Hmac.Verify(sessionKey, MacInput(sessionId, hash), mac);

    /// <summary>Whether an Ed25519 <paramref name="signature"/> of <paramref name="data"/> verifies with the raw <paramref name="publicKey"/>.</summary>
    public static bool SignatureVerifies(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature)
    {
        var algorithm = SignatureAlgorithm.Ed25519;
        if (publicKey.Length != algorithm.PublicKeySize || signature.Length != algorithm.SignatureSize) return false;
        if (!PublicKey.TryImport(algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null) return false;
        Metrics.CommandSignatures.Add(1, new KeyValuePair<string, object?>("kind", "handshake"));
        return algorithm.Verify(key, data, signature);
    }

    // Domain tag in ASCII, then each field as a 4-byte little-endian length and its bytes.
    private static byte[] Fields(string domain, params byte[][] fields)
    {
        int length = domain.Length + fields.Sum(f => 4 + f.Length);
        var buffer = new byte[length];
        int at = Encoding.ASCII.GetBytes(domain, buffer);
        foreach (var field in fields)
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), field.Length);
            field.CopyTo(buffer.AsSpan(at + 4));
            at += 4 + field.Length;
        }

        return buffer;
    }
}

/// <summary>
/// The client's side of a session with one node: opened with <see cref="Begin"/> (signs a
/// <see cref="SessionRequest"/>), completed with <see cref="Complete"/> (checks the node's grant and
/// derives the key), then <see cref="Authenticate"/> for each command.
/// </summary>
public sealed class ClientSession : IDisposable
{
    private readonly Key _key;

    private ClientSession(string application, string clientId, string node, byte[] sessionId, Key key)
    {
        Application = application;
        ClientId = clientId;
        Node = node;
        SessionId = sessionId;
        _key = key;
    }

    /// <summary>The application the session is for.</summary>
    public string Application { get; }

    /// <summary>The client.</summary>
    public string ClientId { get; }

    /// <summary>The node that holds the session: commands go to its <c>IClientGatewayGrain</c>.</summary>
    public string Node { get; }

    /// <summary>The session id.</summary>
    public byte[] SessionId { get; }

    /// <summary>Starts a handshake: a fresh ephemeral key (keep it for <see cref="Complete"/>) and the signed request.</summary>
    public static (Key Ephemeral, SessionRequest Request) Begin(CommandSigner signer, string application)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var ephemeral = SessionHandshake.NewEphemeral();
        byte[] ephemeralPublic = SessionHandshake.PublicOf(ephemeral);
        byte[] signature = signer.SignData(SessionHandshake.RequestTranscript(application, signer.ClientId, ephemeralPublic));
        return (ephemeral, new SessionRequest(application, signer.ClientId, ephemeralPublic, signature));
    }

    /// <summary>
    /// Completes the handshake with the node's <paramref name="grant"/>. When <paramref name="mesh"/>
    /// is given, the grant must be signed by that mesh's node of that name; otherwise the grant is
    /// taken on trust from the connection (the client then relies on the transport to reach the real cluster).
    /// </summary>
    /// <exception cref="CryptographicException">The grant is not signed by the mesh node, or its key is unusable.</exception>
    public static ClientSession Complete(Key ephemeral, SessionRequest request, SessionGrant grant, Mesh? mesh)
    {
        ArgumentNullException.ThrowIfNull(ephemeral);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(grant);
        if (grant.SessionId is not { Length: SessionHandshake.SessionIdLength } || grant.NodeEphemeral is null || grant.Node is null)
        {
            throw new CryptographicException("The node's session grant is malformed.");
        }

        byte[] transcript = SessionHandshake.GrantTranscript(request.Application, request.ClientId, grant.Node, request.ClientEphemeral, grant.NodeEphemeral, grant.SessionId);
        if (mesh is not null)
        {
            var node = mesh.FindByName(grant.Node) ?? throw new CryptographicException($"The session grant names node '{grant.Node}', which is not in the mesh.");
            if (!SessionHandshake.SignatureVerifies(Convert.FromHexString(node.PublicKey), transcript, grant.Signature ?? []))
            {
                throw new CryptographicException($"The session grant is not signed by node '{grant.Node}' of the mesh.");
            }
        }

        var key = SessionHandshake.DeriveKey(ephemeral, grant.NodeEphemeral, grant.SessionId, transcript)
            ?? throw new CryptographicException("The node's ephemeral key is not a usable X25519 key.");
        return new ClientSession(request.Application, request.ClientId, grant.Node, grant.SessionId, key);
    }

    /// <summary>Hashes a command and authenticates it with the session key.</summary>
    public SessionCommand Authenticate(ulong requestId, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        byte[] hash = CommandEncoding.Hash(Application, ClientId, requestId, payload);
        return new SessionCommand(Application, ClientId, requestId, payload, hash, SessionId, SessionHandshake.Mac(_key, SessionId, hash));
    }

    /// <summary>The session's MAC of any hash (tests use it to build commands a dishonest client could send).</summary>
    internal byte[] MacOf(byte[] hash) => SessionHandshake.Mac(_key, SessionId, hash);

    /// <summary>The MAC that closes this session (<c>IClientGatewayGrain.CloseSession</c>).</summary>
    public byte[] CloseMac() => SessionHandshake.Mac(_key, SessionId, SessionHandshake.CloseHash);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
