using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PaxosGo.Orleans.Identity;

/// <summary>
/// The canonical bytes an envelope signature covers: ASCII <c>paxosgo-envelope-v2</c>, the 32-byte
/// cluster digest, then the UTF-8 application prefixed by its length (int32), From (int32), To
/// (int32), Role (one byte), and the payload prefixed by its length (int32); every integer little-endian.
/// A <see cref="LinkBatch"/>'s signature covers ASCII <c>paxosgo-link-v1</c>, the cluster digest, From
/// (int32), To (int32), Incarnation (int64), Sequence (uint64), the number of items (int32) and, per
/// item, the application, Role and payload as in an envelope.
/// </summary>
internal static class EnvelopeEncoding
{
    /// <summary>The largest payload an envelope may carry: 16 MiB.</summary>
    public const int MaxPayloadBytes = 16 * 1024 * 1024;

    /// <summary>The longest application name, in UTF-8 bytes.</summary>
    public const int MaxApplicationBytes = 256;

    /// <summary>The most messages one <see cref="LinkBatch"/> carries.</summary>
    public const int MaxBatchItems = 4096;

    /// <summary>The most bytes of payload one <see cref="LinkBatch"/> carries, all items together.</summary>
    public const int MaxBatchBytes = MaxPayloadBytes;

    private static readonly byte[] Domain = Encoding.ASCII.GetBytes("paxosgo-envelope-v2");
    private static readonly byte[] LinkDomain = Encoding.ASCII.GetBytes("paxosgo-link-v1");

    /// <summary>Calls <paramref name="use"/> with the canonical bytes (valid only during the call).</summary>
    public static TResult WithCanonicalBytes<TState, TResult>(
        ReadOnlySpan<byte> cluster, string application, int from, int to, byte role, ReadOnlySpan<byte> payload, TState state, CanonicalBytesFunc<TState, TResult> use)
    {
        var applicationLength = Encoding.UTF8.GetByteCount(application);
        var length = Domain.Length + cluster.Length + 4 + applicationLength + 4 + 4 + 1 + 4 + payload.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = rented.AsSpan(0, length);
            var offset = 0;
            Domain.CopyTo(span);
            offset += Domain.Length;
            cluster.CopyTo(span[offset..]);
            offset += cluster.Length;
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], applicationLength);
            offset += 4;
            offset += Encoding.UTF8.GetBytes(application, span[offset..]);
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], from);
            offset += 4;
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], to);
            offset += 4;
            span[offset] = role;
            offset += 1;
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], payload.Length);
            offset += 4;
            payload.CopyTo(span[offset..]);
            return use(span, state);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Calls <paramref name="use"/> with the canonical bytes of a link batch (valid only during the
    /// call). The items must be present and within <see cref="MaxBatchItems"/> and
    /// <see cref="MaxBatchBytes"/> (the verifier checks that first).
    /// </summary>
    public static TResult WithBatchCanonicalBytes<TState, TResult>(
        ReadOnlySpan<byte> cluster, int from, int to, long incarnation, ulong sequence, IReadOnlyList<LinkItem> items, TState state, CanonicalBytesFunc<TState, TResult> use)
    {
        var length = LinkDomain.Length + cluster.Length + 4 + 4 + 8 + 8 + 4;
        foreach (var item in items) length += 4 + Encoding.UTF8.GetByteCount(item.Application) + 1 + 4 + item.Payload.Length;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = rented.AsSpan(0, length);
            LinkDomain.CopyTo(span);
            var offset = LinkDomain.Length;
            cluster.CopyTo(span[offset..]);
            offset += cluster.Length;
            BinaryPrimitives.WriteInt32LittleEndian(span[offset..], from);
            BinaryPrimitives.WriteInt32LittleEndian(span[(offset + 4)..], to);
            BinaryPrimitives.WriteInt64LittleEndian(span[(offset + 8)..], incarnation);
            BinaryPrimitives.WriteUInt64LittleEndian(span[(offset + 16)..], sequence);
            BinaryPrimitives.WriteInt32LittleEndian(span[(offset + 24)..], items.Count);
            offset += 28;
            foreach (var item in items)
            {
                var written = Encoding.UTF8.GetBytes(item.Application, span[(offset + 4)..]);
                BinaryPrimitives.WriteInt32LittleEndian(span[offset..], written);
                offset += 4 + written;
                span[offset] = item.Role;
                BinaryPrimitives.WriteInt32LittleEndian(span[(offset + 1)..], item.Payload.Length);
                offset += 5;
                item.Payload.CopyTo(span[offset..]);
                offset += item.Payload.Length;
            }

            return use(span, state);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The canonical bytes as a new array (for tests and diagnostics).</summary>
    public static byte[] CanonicalBytes(ReadOnlySpan<byte> cluster, string application, int from, int to, byte role, ReadOnlySpan<byte> payload) =>
        WithCanonicalBytes(cluster, application, from, to, role, payload, 0, static (bytes, _) => bytes.ToArray());
}

/// <summary>Consumes the canonical bytes of an envelope.</summary>
internal delegate TResult CanonicalBytesFunc<in TState, out TResult>(ReadOnlySpan<byte> canonical, TState state);
