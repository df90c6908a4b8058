using System.Buffers.Binary;

namespace PaxosGo.Core;

/// <summary>
/// An application's state machine: the whole surface an application writes. It must be
/// deterministic: the same commands in the same order give the same results and snapshots
/// on every replica. The <c>state</c> counter and exactly-once sessions are kept around it by
/// <see cref="Replica"/>, so the machine sees each command at most once.
/// </summary>
public interface IStateMachine
{
    /// <summary>Executes one command and returns its application-defined output.</summary>
    byte[] Apply(Command command);

    /// <summary>Serializes the machine's whole state.</summary>
    byte[] Snapshot();

    /// <summary>Replaces the machine's state with one produced by <see cref="Snapshot"/>.</summary>
    void Restore(ReadOnlySpan<byte> snapshot);
}

/// <summary>
/// The specification's counter application. Beyond the replica's <c>state</c> (one per executed
/// command), it keeps a 64-bit <see cref="Total"/>: a payload of 8 bytes (little-endian) adds that
/// amount, any other payload adds 1. The output is the new total, 8 bytes little-endian.
/// </summary>
public sealed class CounterStateMachine : IStateMachine
{
    /// <summary>The sum of every executed command's increment.</summary>
    public ulong Total { get; private set; }

    /// <summary>The increment a payload stands for.</summary>
    public static ulong IncrementOf(ReadOnlySpan<byte> payload) =>
        payload.Length == 8 ? BinaryPrimitives.ReadUInt64LittleEndian(payload) : 1UL;

    /// <inheritdoc />
    public byte[] Apply(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        Total = unchecked(Total + IncrementOf(command.Payload));
        var output = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(output, Total);
        return output;
    }

    /// <inheritdoc />
    public byte[] Snapshot()
    {
        var data = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(data, Total);
        return data;
    }

    /// <inheritdoc />
    public void Restore(ReadOnlySpan<byte> snapshot)
    {
        if (snapshot.Length != 8)
        {
            throw new InvalidDataException($"A counter snapshot is 8 bytes, not {snapshot.Length}.");
        }

        Total = BinaryPrimitives.ReadUInt64LittleEndian(snapshot);
    }
}
