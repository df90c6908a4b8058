using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using NSec.Cryptography;

namespace PaxosGo.Orleans.Transport;

/// <summary>Who bound a TLS certificate's key: a mesh node, or a client (the administrator is a client).</summary>
public enum BindingKind
{
    /// <summary>A silo, bound by its node's Ed25519 key from the mesh.</summary>
    Node = 1,

    /// <summary>An Orleans client, bound by a client's (or the administrator's) Ed25519 key.</summary>
    Client = 2,
}

/// <summary>
/// TLS certificates bound to PaxosGo's Ed25519 identities. Every process makes a fresh ECDSA P-256
/// key and a self-signed certificate for it when it starts (TLS in .NET cannot use Ed25519 keys), and
/// puts in the certificate an extension in which its Ed25519 key signs the certificate's public key.
/// The peer accepts the connection only if that signature verifies and the Ed25519 key is one it
/// trusts for that role: a node of the mesh (silo links), or a registered client or the
/// administrator (gateway links). The TLS handshake proves possession of the ECDSA key; the binding
/// proves that the holder of the Ed25519 key chose it. So nothing needs a certificate authority, no
/// certificate file needs to be kept, and a process without a node key cannot join as a silo even
/// with the storage connection string.
/// </summary>
public static class CertificateBinding
{
    /// <summary>The extension's object identifier (a UUID arc, 2.25, so that it needs no registration).</summary>
    public const string ExtensionOid = "2.25.37357327842358397028381130024676110599";

    private const int Version = 1;
    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("paxosgo-tls-binding-v1");
    private static readonly SignatureAlgorithm Ed25519 = SignatureAlgorithm.Ed25519;

    /// <summary>
    /// A new certificate (with its private key) for a fresh ECDSA P-256 key, bound by
    /// <paramref name="sign"/> (the Ed25519 private key of <paramref name="publicKey"/>).
    /// </summary>
    /// <param name="kind">Whether a node or a client binds it.</param>
    /// <param name="publicKey">The raw 32-byte Ed25519 public key that signs the binding.</param>
    /// <param name="sign">Signs with the matching private key.</param>
    /// <param name="subject">The certificate's common name (for people reading logs; not checked).</param>
    public static X509Certificate2 Create(BindingKind kind, ReadOnlySpan<byte> publicKey, Func<byte[], byte[]> sign, string subject)
    {
        ArgumentNullException.ThrowIfNull(sign);
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        if (publicKey.Length != Ed25519.PublicKeySize) throw new ArgumentException($"An Ed25519 public key is {Ed25519.PublicKeySize} bytes.", nameof(publicKey));
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + subject.Replace(",", "_", StringComparison.Ordinal)), ecdsa, HashAlgorithmName.SHA256);
        byte[] signature = sign(SignedBytes(kind, request.PublicKey.ExportSubjectPublicKeyInfo()));
        request.CertificateExtensions.Add(new X509Extension(ExtensionOid, Encode(kind, publicKey, signature), critical: false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2") }, // server and client authentication
            critical: false));
        var now = DateTimeOffset.UtcNow;
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        // A PKCS#12 round trip gives a certificate whose key every platform's TLS stack can use.
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>
    /// Reads a peer certificate's binding and checks its signature. False when the certificate has
    /// no binding, the binding does not decode, or its signature over the certificate's public key
    /// does not verify with the key it names.
    /// </summary>
    public static bool TryVerify(X509Certificate2 certificate, out BindingKind kind, out byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        kind = default;
        publicKey = Array.Empty<byte>();
        if (certificate.Extensions[ExtensionOid] is not { } extension) return false;
        if (!TryDecode(extension.RawData, out kind, out var key, out var signature)) return false;
        if (!NSec.Cryptography.PublicKey.TryImport(Ed25519, key, KeyBlobFormat.RawPublicKey, out var imported) || imported is null) return false;
        if (!Ed25519.Verify(imported, SignedBytes(kind, certificate.PublicKey.ExportSubjectPublicKeyInfo()), signature)) return false;
        publicKey = key;
        return true;
    }

    /// <summary>What the Ed25519 key signs: ASCII <c>paxosgo-tls-binding-v1</c>, the kind (one byte), and SHA-256 of the certificate's DER SubjectPublicKeyInfo.</summary>
    private static byte[] SignedBytes(BindingKind kind, byte[] subjectPublicKeyInfo) =>
        [.. Domain, (byte)kind, .. SHA256.HashData(subjectPublicKeyInfo)];

    /// <summary>DER: <c>SEQUENCE { version INTEGER, kind INTEGER, publicKey OCTET STRING, signature OCTET STRING }</c>.</summary>
    private static byte[] Encode(BindingKind kind, ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> signature)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(Version);
            writer.WriteInteger((int)kind);
            writer.WriteOctetString(publicKey);
            writer.WriteOctetString(signature);
        }

        return writer.Encode();
    }

    private static bool TryDecode(byte[] der, out BindingKind kind, out byte[] publicKey, out byte[] signature)
    {
        kind = default;
        publicKey = signature = Array.Empty<byte>();
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            if (!sequence.TryReadInt32(out int version) || version != Version) return false;
            if (!sequence.TryReadInt32(out int k) || k is not ((int)BindingKind.Node or (int)BindingKind.Client)) return false;
            publicKey = sequence.ReadOctetString();
            signature = sequence.ReadOctetString();
            sequence.ThrowIfNotEmpty();
            kind = (BindingKind)k;
            return publicKey.Length == Ed25519.PublicKeySize && signature.Length == Ed25519.SignatureSize;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
