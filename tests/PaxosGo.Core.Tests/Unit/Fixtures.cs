using System.Buffers.Binary;

namespace PaxosGo.Core.Tests.Unit;

/// <summary>Shared builders for the unit tests: a three-node mesh n0, n1, n2 and small commands.</summary>
internal static class Fixtures
{
    public static readonly NodeId N0 = new(0);
    public static readonly NodeId N1 = new(1);
    public static readonly NodeId N2 = new(2);
    public static readonly NodeId[] Nodes = [N0, N1, N2];

    /// <summary>A command with a one-byte payload (the counter adds 1 for it).</summary>
    public static Command Cmd(string client, ulong request, byte payload = 1) => new(client, request, [payload]);

    /// <summary>A command whose 8-byte little-endian payload makes the counter add <paramref name="amount"/>.</summary>
    public static Command AddCmd(string client, ulong request, ulong amount)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, amount);
        return new Command(client, request, payload);
    }

    public static Value Batch(params Command[] commands) => Value.Batch(commands);

    public static Ballot B(ulong round, NodeId node) => new(round, node);

    /// <summary>The messages of a step of type <typeparamref name="T"/> sent to role <paramref name="role"/>, with their destination.</summary>
    public static List<(NodeId To, T Message)> Sent<T>(IReadOnlyList<Envelope> messages, Role role)
        where T : Message =>
        messages.Where(e => e.Role == role && e.Message is T).Select(e => (e.To, (T)e.Message)).ToList();

    public static ulong Total(Replica replica) => ((CounterStateMachine)replica.Machine).Total;
}
