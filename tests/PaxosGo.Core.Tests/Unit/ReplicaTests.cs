using System.Buffers.Binary;
using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Unit;

public class ReplicaTests
{
    private static Replica NewReplica() => new(new CounterStateMachine());

    private static ulong Le64(byte[] bytes)
    {
        Assert.Equal(8, bytes.Length);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    [Fact]
    public void Replica_ExecutedCommand_IncrementsState_AndReturnsTheNewState()
    {
        var replica = NewReplica();

        var (outcome1, result1) = replica.Apply(Cmd("c1", 1));
        var (outcome2, result2) = replica.Apply(Cmd("c2", 1));

        Assert.Equal(ApplyOutcome.Executed, outcome1);
        Assert.Equal(ApplyOutcome.Executed, outcome2);
        Assert.Equal(1UL, result1!.State);
        Assert.Equal(2UL, result2!.State);
        Assert.Equal(2UL, replica.State);
        Assert.Equal(2, replica.SessionCount);
    }

    [Fact]
    public void Replica_DuplicateOfTheLastRequest_ReturnsTheCachedResult_AndDoesNotExecute()
    {
        var replica = NewReplica();
        var (_, first) = replica.Apply(AddCmd("c1", 1, 5));

        var (outcome, again) = replica.Apply(AddCmd("c1", 1, 5));

        Assert.Equal(ApplyOutcome.Duplicate, outcome);
        Assert.Same(first, again);
        Assert.Equal(1UL, replica.State);
        Assert.Equal(5UL, Total(replica));
    }

    [Fact]
    public void Replica_StaleRequest_IsNotExecuted_AndHasNoResult()
    {
        var replica = NewReplica();
        replica.Apply(Cmd("c1", 1));
        replica.Apply(Cmd("c1", 2));

        var (outcome, result) = replica.Apply(Cmd("c1", 1));

        Assert.Equal(ApplyOutcome.Stale, outcome);
        Assert.Null(result);
        Assert.Equal(2UL, replica.State);
        Assert.Equal(2UL, Total(replica));
        Assert.Equal(2UL, replica.LastRequestId("c1"));
    }

    [Fact]
    public void Replica_NewerRequest_ExecutesAndBecomesTheCachedOne()
    {
        var replica = NewReplica();
        replica.Apply(Cmd("c1", 1));

        var (outcome, result) = replica.Apply(Cmd("c1", 7));

        Assert.Equal(ApplyOutcome.Executed, outcome);
        Assert.Equal(7UL, replica.LastRequestId("c1"));
        Assert.True(replica.TryGetCachedResult("c1", 7, out var cached));
        Assert.Same(result, cached);
        Assert.False(replica.TryGetCachedResult("c1", 1, out var none));
        Assert.Null(none);
    }

    [Fact]
    public void Replica_SessionsArePerClient_SoAnotherClientsLowerRequestIdExecutes()
    {
        var replica = NewReplica();
        replica.Apply(Cmd("c1", 9));

        var (outcome, _) = replica.Apply(Cmd("c2", 1));

        Assert.Equal(ApplyOutcome.Executed, outcome);
        Assert.Equal(2UL, replica.State);
        Assert.Equal(0UL, replica.LastRequestId("nobody"));
    }

    [Fact]
    public void Replica_SnapshotRestoreRoundTrip_IsByteIdentical_AndKeepsSessions()
    {
        var original = NewReplica();
        original.Apply(Cmd("zed", 3));
        original.Apply(AddCmd("alice", 1, 41));
        original.Apply(Cmd("bob", 2, payload: 7));
        original.Apply(Cmd("alice", 2));
        byte[] snapshot = original.TakeSnapshot();

        var restored = NewReplica();
        restored.Restore(snapshot);

        Assert.Equal(snapshot, restored.TakeSnapshot());
        Assert.Equal(original.State, restored.State);
        Assert.Equal(Total(original), Total(restored));
        Assert.Equal(3, restored.SessionCount);
        var (outcome, result) = restored.Apply(Cmd("alice", 2));
        Assert.Equal(ApplyOutcome.Duplicate, outcome);
        Assert.NotNull(result);
        Assert.Equal(4UL, result.State);
        Assert.Equal(ApplyOutcome.Stale, restored.Apply(Cmd("zed", 2)).Outcome);
    }

    [Fact]
    public void Replica_Restore_ReplacesEverythingItHad()
    {
        var empty = NewReplica().TakeSnapshot();
        var replica = NewReplica();
        replica.Apply(Cmd("c1", 1));

        replica.Restore(empty);

        Assert.Equal(0UL, replica.State);
        Assert.Equal(0, replica.SessionCount);
        Assert.Equal(0UL, Total(replica));
        Assert.Equal(empty, replica.TakeSnapshot());
    }

    [Fact]
    public void Replica_Restore_RejectsAnUnknownSnapshotVersion()
    {
        var snapshot = NewReplica().TakeSnapshot();
        snapshot[0] = 99;

        Assert.Throws<InvalidDataException>(() => NewReplica().Restore(snapshot));
    }

    [Fact]
    public void Counter_EightByteLittleEndianPayload_AddsThatAmount_AndOutputsTheNewTotal()
    {
        var counter = new CounterStateMachine();

        var first = counter.Apply(AddCmd("c1", 1, 1000));
        var second = counter.Apply(new Command("c1", 2, [0x01, 0x01, 0, 0, 0, 0, 0, 0]));

        Assert.Equal(1000UL, Le64(first));
        Assert.Equal(1000UL + 257UL, Le64(second));
        Assert.Equal(1257UL, counter.Total);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(9)]
    public void Counter_PayloadOfAnyOtherLength_AddsOne(int length)
    {
        var counter = new CounterStateMachine();
        var payload = Enumerable.Repeat((byte)0xFF, length).ToArray();

        var output = counter.Apply(new Command("c1", 1, payload));

        Assert.Equal(1UL, counter.Total);
        Assert.Equal(1UL, Le64(output));
        Assert.Equal(1UL, CounterStateMachine.IncrementOf(payload));
    }

    [Fact]
    public void Counter_SnapshotRestoreRoundTrip_KeepsTheTotal()
    {
        var counter = new CounterStateMachine();
        counter.Apply(AddCmd("c1", 1, 123_456_789_012));

        var copy = new CounterStateMachine();
        copy.Restore(counter.Snapshot());

        Assert.Equal(123_456_789_012UL, copy.Total);
        Assert.Equal(counter.Snapshot(), copy.Snapshot());
        Assert.Throws<InvalidDataException>(() => copy.Restore(new byte[7]));
    }

    [Fact]
    public void Replica_StateCountsCommands_WhileTheCounterSumsIncrements()
    {
        var replica = NewReplica();

        replica.Apply(AddCmd("c1", 1, 10));
        replica.Apply(Cmd("c2", 1));

        Assert.Equal(2UL, replica.State);
        Assert.Equal(11UL, Total(replica));
    }
}
