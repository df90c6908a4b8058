namespace PaxosGo.Core;

/// <summary>
/// A node of the cluster, as the protocol sees it: its index in the configured mesh
/// (0..N-1). Hosts map their cryptographic node ids onto these indices; the order of the
/// mesh decides which of two proposers with the same round wins.
/// </summary>
public readonly record struct NodeId(int Value) : IComparable<NodeId>
{
    /// <inheritdoc />
    public int CompareTo(NodeId other) => Value.CompareTo(other.Value);

    /// <inheritdoc />
    public override string ToString() => $"n{Value}";

    /// <summary>Orders node ids by their mesh index.</summary>
    public static bool operator <(NodeId a, NodeId b) => a.Value < b.Value;

    /// <summary>Orders node ids by their mesh index.</summary>
    public static bool operator >(NodeId a, NodeId b) => a.Value > b.Value;

    /// <summary>Orders node ids by their mesh index.</summary>
    public static bool operator <=(NodeId a, NodeId b) => a.Value <= b.Value;

    /// <summary>Orders node ids by their mesh index.</summary>
    public static bool operator >=(NodeId a, NodeId b) => a.Value >= b.Value;
}

/// <summary>
/// A Paxos ballot: totally ordered by (round, node). Two proposers never use the same
/// ballot because the node is part of it, and one proposer never reuses a round because it
/// persists its highest round before it sends a Prepare.
/// </summary>
public readonly record struct Ballot(ulong Round, NodeId Node) : IComparable<Ballot>
{
    /// <summary>The ballot lower than every real ballot (round 0). Nothing is ever accepted in it.</summary>
    public static readonly Ballot Zero = new(0, new NodeId(0));

    /// <summary>True for every ballot a proposer can actually use (round at least 1).</summary>
    public bool IsReal => Round > 0;

    /// <inheritdoc />
    public int CompareTo(Ballot other)
    {
        int c = Round.CompareTo(other.Round);
        return c != 0 ? c : Node.CompareTo(other.Node);
    }

    /// <summary>Ballot order.</summary>
    public static bool operator <(Ballot a, Ballot b) => a.CompareTo(b) < 0;

    /// <summary>Ballot order.</summary>
    public static bool operator >(Ballot a, Ballot b) => a.CompareTo(b) > 0;

    /// <summary>Ballot order.</summary>
    public static bool operator <=(Ballot a, Ballot b) => a.CompareTo(b) <= 0;

    /// <summary>Ballot order.</summary>
    public static bool operator >=(Ballot a, Ballot b) => a.CompareTo(b) >= 0;

    /// <summary>The larger of two ballots.</summary>
    public static Ballot Max(Ballot a, Ballot b) => a >= b ? a : b;

    /// <inheritdoc />
    public override string ToString() => $"({Round},{Node})";
}
