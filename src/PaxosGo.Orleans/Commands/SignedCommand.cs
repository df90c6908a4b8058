using System.Security.Cryptography;
using NSec.Cryptography;
using PaxosGo.Core;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Commands;

/// <summary>
/// A back-end client's command as it reaches the cluster: who sent it, for which application, its
/// request id and payload, the SHA-256 <see cref="Hash"/> of their canonical encoding
/// (<see cref="CommandEncoding"/>), and the client's Ed25519 <see cref="Signature"/> of that hash.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record SignedCommand(
    [property: Id(0)] string Application,
    [property: Id(1)] string ClientId,
    [property: Id(2)] ulong RequestId,
    [property: Id(3)] byte[] Payload,
    [property: Id(4)] byte[] Hash,
    [property: Id(5)] byte[] Signature);

/// <summary>Signs commands with a client's key (or, for <see cref="ForAdministrator"/>, the administrator's).</summary>
public sealed class CommandSigner
{
    private readonly NodeKey _key;

    /// <summary>A signer for the client whose key is <paramref name="key"/>; its client id is the key's id.</summary>
    public CommandSigner(NodeKey key)
        : this(key, key?.NodeId ?? throw new ArgumentNullException(nameof(key)))
    {
    }

    private CommandSigner(NodeKey key, string clientId)
    {
        _key = key;
        ClientId = clientId;
    }

    /// <summary>The client id commands are signed as.</summary>
    public string ClientId { get; }

    /// <summary>The signing key's raw public key (what a registration of this client names).</summary>
    public byte[] PublicKey => _key.PublicKey;

    /// <summary>A signer of administrative commands (client id <see cref="Replica.AdminClientId"/>).</summary>
    public static CommandSigner ForAdministrator(NodeKey adminKey) => new(adminKey ?? throw new ArgumentNullException(nameof(adminKey)), Replica.AdminClientId);

    /// <summary>Hashes and signs a command.</summary>
    public SignedCommand Sign(string application, ulong requestId, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        byte[] hash = CommandEncoding.Hash(application, ClientId, requestId, payload);
        return new SignedCommand(application, ClientId, requestId, payload, hash, _key.Sign(hash));
    }

    /// <summary>Signs arbitrary bytes with the signer's key (the session handshake's request transcript).</summary>
    public byte[] SignData(ReadOnlySpan<byte> data) => _key.Sign(data);

    /// <summary>An administrative command that registers (or revokes) a client's key for <paramref name="application"/>.</summary>
    public SignedCommand Registration(string application, ulong requestId, bool register, string clientId, byte[] clientPublicKey) =>
        Sign(application, requestId, new ClientRegistration(register, clientId, clientPublicKey).Encode());
}

/// <summary>Checks a command's hash and signature against a public key.</summary>
public static class CommandVerification
{
    /// <summary>Whether <paramref name="command"/>'s hash is the hash of its fields.</summary>
    public static bool HashMatches(SignedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        byte[] expected = CommandEncoding.Hash(command.Application, command.ClientId, command.RequestId, command.Payload);
        return CryptographicOperations.FixedTimeEquals(expected, command.Hash);
    }

    /// <summary>Whether <paramref name="command"/>'s signature of its hash verifies with the raw Ed25519 <paramref name="publicKey"/>.</summary>
    public static bool SignatureVerifies(SignedCommand command, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(publicKey);
        var algorithm = SignatureAlgorithm.Ed25519;
        if (publicKey.Length != algorithm.PublicKeySize || command.Signature.Length != algorithm.SignatureSize) return false;
        if (!PublicKey.TryImport(algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key) || key is null) return false;
        Metrics.CommandSignatures.Add(1, new KeyValuePair<string, object?>("kind", "command"));
        return algorithm.Verify(key, command.Hash, command.Signature);
    }
}
