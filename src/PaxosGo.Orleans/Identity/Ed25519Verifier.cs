using NSec.Cryptography;
using PaxosGo.Core;

namespace PaxosGo.Orleans.Identity;

/// <summary>Checks Ed25519 signatures against one raw public key (the administrator's, for the replicas).</summary>
public sealed class Ed25519Verifier : ISignatureVerifier
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;
    private readonly PublicKey? _key;

    /// <summary>A verifier for the raw 32-byte Ed25519 <paramref name="publicKey"/>; one that cannot be imported verifies nothing.</summary>
    public Ed25519Verifier(ReadOnlySpan<byte> publicKey)
    {
        _key = publicKey.Length == Algorithm.PublicKeySize && PublicKey.TryImport(Algorithm, publicKey, KeyBlobFormat.RawPublicKey, out var key)
            ? key
            : null;
    }

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        _key is not null && signature.Length == Algorithm.SignatureSize && Algorithm.Verify(_key, data, signature);
}
