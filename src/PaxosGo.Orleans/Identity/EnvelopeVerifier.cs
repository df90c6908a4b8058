using System.Text;
using NSec.Cryptography;
using PaxosGo.Core;

namespace PaxosGo.Orleans.Identity;

/// <summary>
/// Checks incoming <see cref="SignedEnvelope"/>s: well formed, from a mesh node, addressed to the
/// receiving node, role and application, and signed by the sender's key from the mesh. Thread-safe.
/// </summary>
public sealed class EnvelopeVerifier
{
    private static readonly SignatureAlgorithm Algorithm = SignatureAlgorithm.Ed25519;

    private readonly Mesh mesh;
    private readonly byte[] cluster;
    private readonly int self;
    private readonly LocalAttestation? local;

    // Imported once per node; null when a mesh key cannot be imported (every envelope from it then fails).
    private readonly PublicKey?[] publicKeys;

    /// <summary>Creates a verifier trusting exactly the keys of <paramref name="mesh"/>, for senders configured as <paramref name="clusterDigest"/> says.</summary>
    /// <param name="mesh">The mesh.</param>
    /// <param name="clusterDigest">This node's <see cref="ClusterDigest"/>: senders must have the same.</param>
    /// <param name="self">With <paramref name="local"/>: this node's mesh index.</param>
    /// <param name="local">
    /// This process's local key: an envelope from this node itself must carry its seal (see
    /// <see cref="EnvelopeSigner"/>), not a signature; without it every envelope must be signed.
    /// </param>
    public EnvelopeVerifier(Mesh mesh, byte[] clusterDigest, int self = -1, LocalAttestation? local = null)
    {
        this.self = self;
        this.local = local;
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(clusterDigest);
        this.mesh = mesh;
        cluster = clusterDigest.ToArray();
        publicKeys = new PublicKey?[mesh.Count];
        for (var i = 0; i < mesh.Count; i++)
        {
            publicKeys[i] = PublicKey.TryImport(Algorithm, Convert.FromHexString(mesh[i].PublicKey), KeyBlobFormat.RawPublicKey, out var key)
                ? key
                : null;
        }
    }

    /// <summary>
    /// Accepts <paramref name="envelope"/> or throws. Checks, in order: fields present and within
    /// size limits (<see cref="RejectionCodes.Malformed"/>), a 64-byte signature
    /// (<see cref="RejectionCodes.BadSignature"/>), the sender is a mesh index
    /// (<see cref="RejectionCodes.UnknownSender"/>), the sender's cluster digest is this node's
    /// (<see cref="RejectionCodes.ConfigurationMismatch"/>), recipient, role and application are the expected
    /// ones (<see cref="RejectionCodes.Misdirected"/>), and the signature verifies against the
    /// sender's mesh public key (<see cref="RejectionCodes.BadSignature"/>).
    /// </summary>
    /// <param name="envelope">The received envelope.</param>
    /// <param name="expectedTo">The receiving node's mesh index.</param>
    /// <param name="expectedRole">The receiving role.</param>
    /// <param name="expectedApplication">The receiving application.</param>
    /// <exception cref="ProtocolMessageRejectedException">The envelope is refused; <see cref="ProtocolMessageRejectedException.Code"/> says why.</exception>
    public void Verify(SignedEnvelope envelope, int expectedTo, Role expectedRole, string expectedApplication)
    {
        ArgumentNullException.ThrowIfNull(expectedApplication);
        if (envelope is null)
        {
            throw Reject(RejectionCodes.Malformed, "the envelope is null");
        }

        if (envelope.Application is null || envelope.Payload is null || envelope.Signature is null || envelope.Cluster is null)
        {
            throw Reject(RejectionCodes.Malformed, $"the envelope from node {envelope.From} has a null application, payload, signature or cluster digest");
        }

        // Every UTF-16 char is at least one UTF-8 byte, so a long string is refused without encoding it.
        if (envelope.Application.Length > EnvelopeEncoding.MaxApplicationBytes
            || Encoding.UTF8.GetByteCount(envelope.Application) > EnvelopeEncoding.MaxApplicationBytes)
        {
            throw Reject(RejectionCodes.Malformed, $"the envelope from node {envelope.From} names an application longer than {EnvelopeEncoding.MaxApplicationBytes} UTF-8 bytes");
        }

        if (envelope.Payload.Length > EnvelopeEncoding.MaxPayloadBytes)
        {
            throw Reject(RejectionCodes.Malformed, $"the envelope from node {envelope.From} has a {envelope.Payload.Length}-byte payload; the limit is {EnvelopeEncoding.MaxPayloadBytes}");
        }

        // From this node itself: sealed with this process's local key, which no other process has.
        bool fromSelf = local is not null && envelope.From == self;
        int sealLength = fromSelf ? LocalAttestation.Length : NodeKey.SignatureLength;
        if (envelope.Signature.Length != sealLength)
        {
            throw Reject(RejectionCodes.BadSignature, $"the envelope from node {envelope.From} has a {envelope.Signature.Length}-byte signature; expected {sealLength}");
        }

        if (envelope.From < 0 || envelope.From >= mesh.Count)
        {
            throw Reject(RejectionCodes.UnknownSender, $"the envelope claims sender index {envelope.From}, which is not in the mesh of {mesh.Count} nodes");
        }

        var sender = mesh[envelope.From].Name;
        if (!envelope.Cluster.AsSpan().SequenceEqual(cluster))
        {
            throw Reject(
                RejectionCodes.ConfigurationMismatch,
                $"the envelope from node {envelope.From} ('{sender}') was sent under cluster digest {ClusterDigest.Abbreviate(envelope.Cluster)}, this node's is {ClusterDigest.Abbreviate(cluster)}: " +
                "the two nodes have a different mesh file or administrator key, and must not take part in one log");
        }

        if (envelope.To != expectedTo || envelope.Role != (byte)expectedRole || !string.Equals(envelope.Application, expectedApplication, StringComparison.Ordinal))
        {
            throw Reject(
                RejectionCodes.Misdirected,
                $"the envelope from node {envelope.From} ('{sender}') is addressed to node {envelope.To}, role {envelope.Role}, application '{envelope.Application}', " +
                $"but was received by node {expectedTo}, role {(byte)expectedRole} ({expectedRole}), application '{expectedApplication}'");
        }

        if (fromSelf)
        {
            bool sealedHere = EnvelopeEncoding.WithCanonicalBytes(
                cluster, envelope.Application, envelope.From, envelope.To, envelope.Role, envelope.Payload,
                (Key: local!, envelope.Signature), static (bytes, s) => s.Key.VerifiesEnvelope(s.Signature, bytes));
            if (!sealedHere)
            {
                throw Reject(RejectionCodes.BadSignature, $"the envelope claims to come from this node ('{sender}') but does not carry this process's seal");
            }

            return;
        }

        var publicKey = publicKeys[envelope.From];
        var valid = publicKey is not null && EnvelopeEncoding.WithCanonicalBytes(
            cluster,
            envelope.Application,
            envelope.From,
            envelope.To,
            envelope.Role,
            envelope.Payload,
            (PublicKey: publicKey, envelope.Signature),
            static (bytes, s) => Algorithm.Verify(s.PublicKey, bytes, s.Signature));
        if (!valid)
        {
            throw Reject(RejectionCodes.BadSignature, $"the envelope from node {envelope.From} ('{sender}') does not carry a valid signature of that node's mesh key");
        }
    }

    /// <summary>
    /// Accepts <paramref name="batch"/> or throws: well formed and within limits
    /// (<see cref="RejectionCodes.Malformed"/>), a 64-byte signature, a mesh sender other than this
    /// node, the same cluster digest, sent by <paramref name="expectedFrom"/> to
    /// <paramref name="expectedTo"/> (<see cref="RejectionCodes.Misdirected"/>), and the signature
    /// verifies against the sender's mesh key: one signature check for every message in it. Replays
    /// are the caller's to refuse (<see cref="LinkReplayWindow"/>).
    /// </summary>
    /// <param name="batch">The received batch.</param>
    /// <param name="expectedFrom">The sender the receiving link serves.</param>
    /// <param name="expectedTo">The receiving node's mesh index.</param>
    /// <exception cref="ProtocolMessageRejectedException">The batch is refused; nothing in it is delivered.</exception>
    public void VerifyBatch(LinkBatch batch, int expectedFrom, int expectedTo)
    {
        if (batch?.Items is null || batch.Signature is null || batch.Cluster is null)
        {
            throw Reject(RejectionCodes.Malformed, "the link batch or its items, signature or cluster digest is null");
        }

        if (batch.Items.Length == 0 || batch.Items.Length > EnvelopeEncoding.MaxBatchItems)
        {
            throw Reject(RejectionCodes.Malformed, $"the link batch from node {batch.From} carries {batch.Items.Length} messages; a batch carries 1 to {EnvelopeEncoding.MaxBatchItems}");
        }

        long bytes = 0;
        foreach (var item in batch.Items)
        {
            if (item?.Application is null || item.Payload is null)
            {
                throw Reject(RejectionCodes.Malformed, $"the link batch from node {batch.From} has a message without application or payload");
            }

            if (item.Application.Length > EnvelopeEncoding.MaxApplicationBytes || Encoding.UTF8.GetByteCount(item.Application) > EnvelopeEncoding.MaxApplicationBytes)
            {
                throw Reject(RejectionCodes.Malformed, $"the link batch from node {batch.From} names an application longer than {EnvelopeEncoding.MaxApplicationBytes} UTF-8 bytes");
            }

            bytes += item.Payload.Length;
        }

        if (bytes > EnvelopeEncoding.MaxBatchBytes)
        {
            throw Reject(RejectionCodes.Malformed, $"the link batch from node {batch.From} carries {bytes} bytes; the limit is {EnvelopeEncoding.MaxBatchBytes}");
        }

        if (batch.Signature.Length != NodeKey.SignatureLength)
        {
            throw Reject(RejectionCodes.BadSignature, $"the link batch from node {batch.From} has a {batch.Signature.Length}-byte signature; expected {NodeKey.SignatureLength}");
        }

        if (batch.From < 0 || batch.From >= mesh.Count)
        {
            throw Reject(RejectionCodes.UnknownSender, $"the link batch claims sender index {batch.From}, which is not in the mesh of {mesh.Count} nodes");
        }

        var sender = mesh[batch.From].Name;
        if (!batch.Cluster.AsSpan().SequenceEqual(cluster))
        {
            throw Reject(
                RejectionCodes.ConfigurationMismatch,
                $"the link batch from node {batch.From} ('{sender}') was sent under cluster digest {ClusterDigest.Abbreviate(batch.Cluster)}, this node's is {ClusterDigest.Abbreviate(cluster)}: " +
                "the two nodes have a different mesh file or administrator key, and must not take part in one log");
        }

        if (batch.From != expectedFrom || batch.To != expectedTo || batch.From == batch.To)
        {
            throw Reject(
                RejectionCodes.Misdirected,
                $"the link batch from node {batch.From} ('{sender}') to node {batch.To} was received on the link from node {expectedFrom} to node {expectedTo}");
        }

        var publicKey = publicKeys[batch.From];
        var valid = publicKey is not null && EnvelopeEncoding.WithBatchCanonicalBytes(
            cluster,
            batch.From,
            batch.To,
            batch.Incarnation,
            batch.Sequence,
            batch.Items,
            (PublicKey: publicKey, batch.Signature),
            static (bytes, s) => Algorithm.Verify(s.PublicKey, bytes, s.Signature));
        if (!valid)
        {
            throw Reject(RejectionCodes.BadSignature, $"the link batch from node {batch.From} ('{sender}') does not carry a valid signature of that node's mesh key");
        }
    }

    private static ProtocolMessageRejectedException Reject(string code, string message) => new(code, message);

}
