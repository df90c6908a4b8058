using System.Runtime.CompilerServices;
using ARSoft.Tools.Net.Dns;

namespace PaxosGo.NameServer.Dns;

/// <summary>
/// DNS messages to and from bytes, with ARSoft.Tools.Net. Parsing is its public
/// <see cref="DnsMessage.Parse"/>; encoding is the method its own server sends with, which 3.6.1 keeps
/// internal (reached by <see cref="UnsafeAccessorAttribute"/>, checked by the name server's tests).
/// </summary>
public static class DnsWire
{
    /// <summary>The longest query read over UDP; a longer datagram is dropped.</summary>
    public const int MaxQueryBytes = 4096;

    /// <summary>Parses a query; null when the bytes are not a DNS message.</summary>
    public static DnsMessage? TryParse(ArraySegment<byte> bytes)
    {
        if (bytes.Count is < 12 or > MaxQueryBytes) return null;
        try
        {
            return DnsMessage.Parse(bytes);
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or FormatException or InvalidOperationException or OverflowException or NotSupportedException or NullReferenceException or InvalidCastException)
        {
            return null;
        }
    }

    /// <summary>
    /// Encodes <paramref name="response"/> in at most <paramref name="limit"/> bytes: when the whole
    /// answer is larger, its records go and the truncation bit (TC) is set, so the client asks again over TCP.
    /// </summary>
    public static byte[] Encode(DnsMessage response, int limit = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(response);
        var bytes = EncodeAll(response);
        if (bytes.Length <= limit) return bytes;
        response.AnswerRecords.Clear();
        response.AuthorityRecords.Clear();
        response.AdditionalRecords.RemoveAll(r => r.RecordType != RecordType.Opt);
        response.IsTruncated = true;
        return EncodeAll(response);
    }

    private static byte[] EncodeAll(DnsMessage message) => Encoded(message).ToArraySegment(false).ToArray();

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "Encode")]
    private static extern DnsRawPackage Encoded(DnsMessageBase message);
}
