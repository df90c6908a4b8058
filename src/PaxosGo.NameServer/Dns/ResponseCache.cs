using System.Collections.Concurrent;

namespace PaxosGo.NameServer.Dns;

/// <summary>
/// Encoded UDP answers by query: two queries whose bytes after the 2-byte ID are the same (flags,
/// question, EDNS record) get the same answer from the same zones, so an answer is encoded once and
/// then copied with the new ID. One cache per <see cref="Zones.ZoneSet"/>, which a zone change
/// replaces; bounded: at most <see cref="Capacity"/> answers to queries of at most
/// <see cref="MaxQueryBytes"/> (a flood of distinct queries empties it rather than grow it).
/// </summary>
internal sealed class ResponseCache
{
    /// <summary>The most answers kept.</summary>
    public const int Capacity = 20_000;

    /// <summary>The longest query whose answer is kept (longer ones are rare: EDNS options, padding).</summary>
    public const int MaxQueryBytes = 512;

    private readonly ConcurrentDictionary<byte[], byte[]> _answers = new(ContentComparer.Instance);
    private int _count; // ConcurrentDictionary.Count takes every lock: a counter of our own instead
    private readonly ConcurrentDictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    public ResponseCache() => _lookup = _answers.GetAlternateLookup<ReadOnlySpan<byte>>();

    /// <summary>The cached answer to <paramref name="query"/> (whole query datagram), or null.</summary>
    public byte[]? Find(ReadOnlySpan<byte> query) => _lookup.TryGetValue(query[2..], out var answer) ? answer : null;

    /// <summary>Keeps <paramref name="answer"/> for <paramref name="query"/>.</summary>
    public void Add(ReadOnlySpan<byte> query, byte[] answer)
    {
        if (query.Length > MaxQueryBytes) return;
        if (Interlocked.Increment(ref _count) > Capacity)
        {
            // Full (a flood of distinct names, say): start over rather than grow.
            _answers.Clear();
            Interlocked.Exchange(ref _count, 1);
        }

        if (!_answers.TryAdd(query[2..].ToArray(), answer)) Interlocked.Decrement(ref _count);
    }

    private sealed class ContentComparer : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly ContentComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => GetHashCode((ReadOnlySpan<byte>)obj);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(alternate);
            return hash.ToHashCode();
        }

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();
    }
}
