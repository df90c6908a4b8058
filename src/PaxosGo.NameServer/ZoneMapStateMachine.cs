using System.Buffers.Binary;
using System.Text;
using PaxosGo.Core;

namespace PaxosGo.NameServer;

/// <summary>What applying a zone-map command did: the one byte of its output.</summary>
public enum ZoneOutcome : byte
{
    /// <summary>The zone was added.</summary>
    Added = 0,

    /// <summary>The zone's hash was replaced.</summary>
    Replaced = 1,

    /// <summary>The zone was removed.</summary>
    Deleted = 2,

    /// <summary>A delete of a zone the map does not hold: nothing changed.</summary>
    NotFound = 3,

    /// <summary>The command does not parse (<see cref="ZoneCommand.Decode"/>): nothing changed.</summary>
    Malformed = 4,
}

/// <summary>
/// The name server's replicated state: zone names (<see cref="ZoneName"/>) mapped to the SHA-256 of
/// their zone files, which live in blob storage under that hash. Deterministic, as a state machine must
/// be: a command that does not parse changes nothing on any replica and says so in its output (the
/// entry node refuses such commands before proposing them; this is the replicas' own guard).
/// </summary>
public sealed class ZoneMapStateMachine : IStateMachine
{
    private static readonly byte[] SnapshotMagic = "PGZ1"u8.ToArray();
    private readonly SortedDictionary<string, byte[]> _zones = new(StringComparer.Ordinal);

    /// <summary>How many zones the map holds.</summary>
    public int Count => _zones.Count;

    /// <summary>Every zone and its hash, in name order.</summary>
    public IEnumerable<KeyValuePair<string, byte[]>> Zones => _zones.Select(z => KeyValuePair.Create(z.Key, (byte[])z.Value.Clone()));

    /// <summary>The hash of zone <paramref name="name"/> (any spelling), or null when the map does not hold it.</summary>
    public byte[]? HashOf(string name) =>
        ZoneName.Normalize(name, out _) is { } canonical && _zones.TryGetValue(canonical, out var hash) ? (byte[])hash.Clone() : null;

    /// <inheritdoc />
    public byte[] Apply(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var zone = ZoneCommand.Decode(command.Payload, out _);
        ZoneOutcome outcome;
        if (zone is null)
        {
            outcome = ZoneOutcome.Malformed;
        }
        else if (zone.Operation == ZoneOperation.Put)
        {
            outcome = _zones.ContainsKey(zone.Name) ? ZoneOutcome.Replaced : ZoneOutcome.Added;
            _zones[zone.Name] = zone.Hash!;
        }
        else
        {
            outcome = _zones.Remove(zone.Name) ? ZoneOutcome.Deleted : ZoneOutcome.NotFound;
        }

        return [(byte)outcome];
    }

    /// <inheritdoc />
    /// <remarks>"PGZ1", the zone count (4 bytes, little-endian), then each zone in name order: its name's length, the name, its hash.</remarks>
    public byte[] Snapshot()
    {
        using var data = new MemoryStream();
        data.Write(SnapshotMagic);
        Span<byte> count = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(count, _zones.Count);
        data.Write(count);
        foreach (var (name, hash) in _zones)
        {
            data.WriteByte((byte)name.Length);
            data.Write(Encoding.ASCII.GetBytes(name));
            data.Write(hash);
        }

        return data.ToArray();
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The snapshot is damaged: the map is left as it was.</exception>
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        if (snapshot.Length < 8 || !snapshot[..4].SequenceEqual(SnapshotMagic))
        {
            throw new InvalidDataException("This is not a zone-map snapshot (PGZ1).");
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(snapshot[4..8]);
        var zones = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        int at = 8;
        string? previous = null;
        for (int i = 0; i < count; i++)
        {
            if (at >= snapshot.Length) throw new InvalidDataException($"The zone-map snapshot ends after {i} of its {count} zones.");
            int length = snapshot[at];
            if (at + 1 + length + ZoneCommand.HashLength > snapshot.Length) throw new InvalidDataException($"The zone-map snapshot ends inside zone {i}.");
            string name = Encoding.ASCII.GetString(snapshot.Slice(at + 1, length));
            if (ZoneName.Normalize(name, out _) != name || (previous is not null && string.CompareOrdinal(previous, name) >= 0))
            {
                throw new InvalidDataException($"Zone {i} of the zone-map snapshot is not a canonical name in order.");
            }

            zones.Add(name, snapshot.Slice(at + 1 + length, ZoneCommand.HashLength).ToArray());
            previous = name;
            at += 1 + length + ZoneCommand.HashLength;
        }

        if (at != snapshot.Length) throw new InvalidDataException("The zone-map snapshot has bytes after its last zone.");
        _zones.Clear();
        foreach (var (name, hash) in zones) _zones.Add(name, hash);
    }
}
