using NSec.Cryptography;

namespace PaxosGo.Core.Simulation;

/// <summary>
/// A real Ed25519 administrator key for the core's tests and the simulator: it signs administrative
/// commands as the entry node would hand them to the log (<see cref="AdministrativeCommand"/>), and
/// gives the replicas the <see cref="Administrator"/> that checks them. Made from a 32-byte seed, so
/// a simulation seed replays the same keys and signatures (Ed25519 signing is deterministic).
/// </summary>
public sealed class AdministratorKey : IDisposable
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly Key _key;

    /// <summary>The key whose private half is <paramref name="seed"/> (32 bytes).</summary>
    public AdministratorKey(ReadOnlySpan<byte> seed)
    {
        _key = Key.Import(Algorithm, seed, KeyBlobFormat.RawPrivateKey);
        PublicKey = _key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The raw public key.</summary>
    public byte[] PublicKey { get; }

    /// <summary>A key from a seed derived from <paramref name="number"/>.</summary>
    public static AdministratorKey FromNumber(ulong number)
    {
        var seed = new byte[32];
        BitConverter.TryWriteBytes(seed, number);
        seed[31] = 0xad;
        return new AdministratorKey(seed);
    }

    /// <summary>The administrator of <paramref name="application"/> as its replicas check it.</summary>
    public Administrator For(string application) => new(application, new Verifier(PublicKey));

    /// <summary>The log payload of a signed administrative command with body <paramref name="body"/>.</summary>
    public byte[] SignedPayload(string application, ulong requestId, byte[] body) =>
        AdministrativeCommand.Wrap(body, Sign(CommandEncoding.Hash(application, Replica.AdminClientId, requestId, body)));

    /// <summary>A signed administrative command that registers (or revokes) <paramref name="publicKey"/>'s client.</summary>
    public Command Registration(string application, ulong requestId, bool register, byte[] publicKey) =>
        new(Replica.AdminClientId, requestId, SignedPayload(application, requestId, new ClientRegistration(register, ClientRegistration.ClientIdOf(publicKey), publicKey).Encode()));

    /// <summary>Signs with the private key.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => Algorithm.Sign(_key, data);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();

    private sealed class Verifier(byte[] publicKey) : ISignatureVerifier
    {
        private readonly NSec.Cryptography.PublicKey _key = NSec.Cryptography.PublicKey.Import(Algorithm, publicKey, KeyBlobFormat.RawPublicKey);

        public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
            signature.Length == Algorithm.SignatureSize && Algorithm.Verify(_key, data, signature);
    }
}
