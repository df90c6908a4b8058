using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Unit;

public class BallotAndValueTests
{
    [Fact]
    public void Ballot_HigherRound_WinsRegardlessOfNode()
    {
        var low = B(1, N2);
        var high = B(2, N0);

        Assert.True(low < high);
        Assert.True(high > low);
        Assert.True(low.CompareTo(high) < 0);
        Assert.True(high.CompareTo(low) > 0);
        Assert.Equal(high, Ballot.Max(low, high));
        Assert.Equal(high, Ballot.Max(high, low));
    }

    [Fact]
    public void Ballot_SameRound_IsOrderedByNode()
    {
        var a = B(3, N0);
        var b = B(3, N1);

        Assert.True(a < b);
        Assert.False(b < a);
        Assert.True(a.CompareTo(b) < 0);
        Assert.Equal(b, Ballot.Max(a, b));
    }

    [Fact]
    public void Ballot_SameRoundAndNode_AreEqualInEveryComparison()
    {
        var a = B(4, N1);
        var b = new Ballot(4, new NodeId(1));

        Assert.Equal(a, b);
        Assert.Equal(0, a.CompareTo(b));
        Assert.True(a <= b);
        Assert.True(a >= b);
        Assert.False(a < b);
        Assert.False(a > b);
    }

    [Fact]
    public void Ballot_Zero_IsNotReal_AndIsBelowEveryRealBallot()
    {
        Assert.False(Ballot.Zero.IsReal);
        Assert.Equal(0UL, Ballot.Zero.Round);
        Assert.True(B(1, N0).IsReal);
        Assert.True(Ballot.Zero < B(1, N0));
        Assert.False(B(0, N2).IsReal);
    }

    [Fact]
    public void Ballot_SortsByRoundThenNode()
    {
        var sorted = new[] { B(2, N1), B(1, N2), B(2, N0), B(1, N0) }.Order().ToArray();

        Assert.Equal([B(1, N0), B(1, N2), B(2, N0), B(2, N1)], sorted);
    }

    [Fact]
    public void Command_EqualsByContent_NotByPayloadArrayIdentity()
    {
        var a = new Command("c1", 7, [1, 2, 3]);
        var b = new Command("c1", 7, [1, 2, 3]);

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, new Command("c1", 7, [1, 2, 4]));
        Assert.NotEqual(a, new Command("c1", 8, [1, 2, 3]));
        Assert.NotEqual(a, new Command("c2", 7, [1, 2, 3]));
        Assert.Equal(("c1", 7UL), a.Key);
    }

    [Fact]
    public void Value_BatchesWithEqualCommands_AreEqual_AndHashAlike()
    {
        var a = Value.Batch([Cmd("c1", 1), Cmd("c2", 1)]);
        var b = Value.Batch([Cmd("c1", 1), Cmd("c2", 1)]);

        Assert.NotSame(a, b);
        Assert.Equal(a, b);
        Assert.True(a.Equals((object)b));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void Value_BatchesDifferingInOrderOrContent_AreNotEqual()
    {
        var a = Value.Batch([Cmd("c1", 1), Cmd("c2", 1)]);

        Assert.NotEqual(a, Value.Batch([Cmd("c2", 1), Cmd("c1", 1)]));
        Assert.NotEqual(a, Value.Batch([Cmd("c1", 1)]));
        Assert.NotEqual(a, Value.Batch([Cmd("c1", 1), Cmd("c2", 1, payload: 9)]));
    }

    [Fact]
    public void Value_NoOp_HasNoCommands_AndDiffersFromEveryBatch()
    {
        Assert.True(Value.NoOp.IsNoOp);
        Assert.Empty(Value.NoOp.Commands);
        var batch = Value.Batch([Cmd("c1", 1)]);
        Assert.False(batch.IsNoOp);
        Assert.NotEqual(Value.NoOp, batch);
        Assert.NotEqual(batch, Value.NoOp);
        Assert.Equal(Value.NoOp, Value.NoOp);
    }

    [Fact]
    public void Value_EmptyBatch_IsRejected()
    {
        Assert.Throws<ArgumentException>(() => Value.Batch(Array.Empty<Command>()));
    }

    [Fact]
    public void Value_Batch_CopiesItsCommandList()
    {
        var commands = new List<Command> { Cmd("c1", 1) };
        var value = Value.Batch(commands);

        commands.Add(Cmd("c1", 2));

        Assert.Single(value.Commands);
        Assert.Equal(Cmd("c1", 1), value.Commands[0]);
    }
}
