using System.Security.Cryptography;
using PaxosGo.NameServer.Storage;
using PaxosGo.Orleans.Applications;

namespace PaxosGo.NameServer.Zones;

/// <summary>
/// The entry node's check of a zone-map command before it is proposed: it must decode; a put's zone
/// file must be in storage under its hash, hash to it when read back, and be a valid zone of that
/// name (<see cref="ZoneFile"/>). A delete needs nothing more (deleting a zone the map lacks is
/// answered "not found" by the replicas).
/// </summary>
public sealed class ZoneCommandValidator(ZoneFileStore store) : ICommandValidator
{
    /// <inheritdoc />
    public async ValueTask<string?> ValidateAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var command = ZoneCommand.Decode(payload.Span, out var error);
        if (command is null) return $"not a zone command: {error}";
        if (command.Operation != ZoneOperation.Put) return null;
        string hex = Convert.ToHexStringLower(command.Hash!);
        byte[]? content;
        try
        {
            content = await store.GetAsync(command.Hash!, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException e)
        {
            return e.Message; // larger than a zone file may be
        }

        if (content is null) return $"zone file {hex} is not in storage: upload it before the put";
        if (!SHA256.HashData(content).AsSpan().SequenceEqual(command.Hash)) return $"the zone file stored under {hex} does not hash to it (tampered or corrupted in storage)";
        return ZoneFile.Parse(command.Name, content, out var invalid) is null ? $"zone {command.Name}: {invalid}" : null;
    }
}
