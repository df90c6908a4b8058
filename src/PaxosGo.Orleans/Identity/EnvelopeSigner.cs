using System.Text;
using PaxosGo.Core;

namespace PaxosGo.Orleans.Identity;

/// <summary>Seals outgoing protocol messages of this node into <see cref="SignedEnvelope"/>s.</summary>
public sealed class EnvelopeSigner
{
    private readonly NodeIdentity identity;
    private readonly byte[] cluster;
    private readonly LocalAttestation? local;

    /// <summary>Creates a signer that signs as <paramref name="identity"/> of the cluster <paramref name="clusterDigest"/>.</summary>
    /// <param name="identity">This node's identity.</param>
    /// <param name="clusterDigest">This node's <see cref="ClusterDigest"/>.</param>
    /// <param name="local">
    /// This process's local key: envelopes to this node itself are sealed with it (an HMAC, no other
    /// process can make one) instead of signed; without it every envelope is signed.
    /// </param>
    public EnvelopeSigner(NodeIdentity identity, byte[] clusterDigest, LocalAttestation? local = null)
    {
        this.local = local;
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(clusterDigest);
        if (clusterDigest.Length != ClusterDigest.Length) throw new ArgumentException($"A cluster digest is {ClusterDigest.Length} bytes.", nameof(clusterDigest));
        this.identity = identity;
        cluster = clusterDigest.ToArray();
    }

    /// <summary>
    /// Wraps <paramref name="payload"/> for <paramref name="role"/> of node <paramref name="to"/> and
    /// signs the canonical encoding of every field.
    /// </summary>
    /// <param name="application">The application the message belongs to (at most 256 UTF-8 bytes).</param>
    /// <param name="to">The receiver's mesh index.</param>
    /// <param name="role">The receiving role.</param>
    /// <param name="payload">The encoded message (at most 16 MiB); the envelope keeps it, so do not modify it afterwards.</param>
    /// <returns>The signed envelope, from this node's index.</returns>
    public SignedEnvelope Seal(string application, int to, Role role, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(application);
        ArgumentNullException.ThrowIfNull(payload);
        if (Encoding.UTF8.GetByteCount(application) > EnvelopeEncoding.MaxApplicationBytes)
        {
            throw new ArgumentException($"the application name is longer than {EnvelopeEncoding.MaxApplicationBytes} UTF-8 bytes", nameof(application));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(to);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(to, identity.Mesh.Count);
        if (!Enum.IsDefined(role))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "not a protocol role");
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThan(payload.Length, EnvelopeEncoding.MaxPayloadBytes);

        var from = identity.Index;
        var signature = to == from && local is not null
            ? EnvelopeEncoding.WithCanonicalBytes(cluster, application, from, to, (byte)role, payload, local, static (bytes, key) => key.SealEnvelope(bytes))
            : EnvelopeEncoding.WithCanonicalBytes(cluster, application, from, to, (byte)role, payload, identity, static (bytes, id) => id.Sign(bytes));
        return new SignedEnvelope(application, from, to, (byte)role, payload, signature, cluster);
    }

    /// <summary>
    /// Signs <paramref name="items"/> for node <paramref name="to"/> as one <see cref="LinkBatch"/>:
    /// one Ed25519 signature over every item.
    /// </summary>
    /// <param name="to">The receiver's mesh index (another node).</param>
    /// <param name="incarnation">This process's incarnation (its start time in UTC ticks).</param>
    /// <param name="sequence">The batch's number on this link, from 1, one more for every batch.</param>
    /// <param name="items">
    /// One to <see cref="EnvelopeEncoding.MaxBatchItems"/> messages of at most
    /// <see cref="EnvelopeEncoding.MaxBatchBytes"/> together; the batch keeps the array.
    /// </param>
    /// <returns>The signed batch.</returns>
    public LinkBatch SealBatch(int to, long incarnation, ulong sequence, LinkItem[] items)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegative(to);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(to, identity.Mesh.Count);
        if (to == identity.Index) throw new ArgumentException("A node does not send a link batch to itself.", nameof(to));
        if (items.Length == 0 || items.Length > EnvelopeEncoding.MaxBatchItems)
        {
            throw new ArgumentException($"A link batch carries 1 to {EnvelopeEncoding.MaxBatchItems} messages.", nameof(items));
        }

        long bytes = 0;
        foreach (var item in items)
        {
            ArgumentNullException.ThrowIfNull(item?.Application, nameof(items));
            ArgumentNullException.ThrowIfNull(item.Payload, nameof(items));
            if (Encoding.UTF8.GetByteCount(item.Application) > EnvelopeEncoding.MaxApplicationBytes)
            {
                throw new ArgumentException($"an application name is longer than {EnvelopeEncoding.MaxApplicationBytes} UTF-8 bytes", nameof(items));
            }

            bytes += item.Payload.Length;
        }

        if (bytes > EnvelopeEncoding.MaxBatchBytes) throw new ArgumentException($"A link batch carries at most {EnvelopeEncoding.MaxBatchBytes} bytes of payload.", nameof(items));
        var signature = EnvelopeEncoding.WithBatchCanonicalBytes(cluster, identity.Index, to, incarnation, sequence, items, identity, static (bytes, id) => id.Sign(bytes));
        return new LinkBatch(identity.Index, to, incarnation, sequence, items, signature, cluster);
    }
}
