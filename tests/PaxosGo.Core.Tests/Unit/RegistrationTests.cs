using Xunit;

namespace PaxosGo.Core.Tests.Unit;

public sealed class RegistrationTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private ulong _adminRequest;

    private Command Admin(bool register, string client) =>
        new(Replica.AdminClientId, ++_adminRequest, new ClientRegistration(register, client, Key).Encode());

    [Fact]
    public void Replica_RequiringRegistration_RejectsAnUnregisteredClient_WithoutChangingState()
    {
        var replica = new Replica(new CounterStateMachine(), requireRegistration: true);

        var (outcome, result) = replica.Apply(new Command("c1", 1, [1]));

        Assert.Equal(ApplyOutcome.Rejected, outcome);
        Assert.Null(result);
        Assert.Equal(0UL, replica.State);
        Assert.Equal(0UL, ((CounterStateMachine)replica.Machine).Total);
    }

    [Fact]
    public void Replica_ExecutesAClient_OnceAnAdministrativeCommandRegisteredIt_AndRejectsItAfterRevocation()
    {
        var replica = new Replica(new CounterStateMachine(), requireRegistration: true);

        Assert.Equal(ApplyOutcome.Executed, replica.Apply(Admin(true, "c1")).Outcome);
        Assert.Equal(Key, replica.RegisteredKey("c1"));
        Assert.Equal(ApplyOutcome.Executed, replica.Apply(new Command("c1", 1, [1])).Outcome);
        Assert.Equal(ApplyOutcome.Executed, replica.Apply(Admin(false, "c1")).Outcome);
        Assert.Equal(ApplyOutcome.Rejected, replica.Apply(new Command("c1", 2, [1])).Outcome);

        // Two administrative commands and one client command executed; the counter saw only the client's.
        Assert.Equal(3UL, replica.State);
        Assert.Equal(1UL, ((CounterStateMachine)replica.Machine).Total);
    }

    [Fact]
    public void Revocation_ReleasesTheCachedResult_ButAReRegisteredClientsOldRequestsNeverExecuteAgain()
    {
        var replica = new Replica(new CounterStateMachine(), requireRegistration: true);
        replica.Apply(Admin(true, "c1"));
        Assert.Equal(ApplyOutcome.Executed, replica.Apply(new Command("c1", 10, [1])).Outcome);
        replica.Apply(Admin(false, "c1"));
        Assert.False(replica.TryGetCachedResult("c1", 10, out _));
        Assert.True(replica.IsStale("c1", 10));

        // The tombstone survives a snapshot, byte for byte on every replica.
        var restored = new Replica(new CounterStateMachine(), requireRegistration: true);
        restored.Restore(replica.TakeSnapshot());
        Assert.Equal(replica.TakeSnapshot(), restored.TakeSnapshot());

        foreach (var r in new[] { replica, restored })
        {
            ulong state = r.State;
            r.Apply(Admin(true, "c1"));
            Assert.Equal(ApplyOutcome.Stale, r.Apply(new Command("c1", 10, [1])).Outcome);
            Assert.Equal(ApplyOutcome.Stale, r.Apply(new Command("c1", 9, [1])).Outcome);
            Assert.Equal(ApplyOutcome.Executed, r.Apply(new Command("c1", 11, [1])).Outcome);
            Assert.Equal(state + 2, r.State);
            Assert.Equal(2UL, ((CounterStateMachine)r.Machine).Total);
        }
    }

    [Fact]
    public void AClientWithoutASession_HasNoStaleRequests()
    {
        var replica = new Replica(new CounterStateMachine());
        Assert.False(replica.IsStale("c1", 0));
        replica.Apply(new Command("c1", 5, [1]));
        Assert.True(replica.IsStale("c1", 4));
        Assert.False(replica.IsStale("c1", 5)); // answered from the cache
        Assert.False(replica.IsStale("c1", 6));
    }

    [Fact]
    public void Replica_RejectsAMalformedAdministrativeCommand_AndChangesNothing()
    {
        var replica = new Replica(new CounterStateMachine(), requireRegistration: true);

        Assert.Equal(ApplyOutcome.Rejected, replica.Apply(new Command(Replica.AdminClientId, 1, [9, 9, 9])).Outcome);
        Assert.Equal(0UL, replica.State);
    }

    [Fact]
    public void ClientRegistration_RoundTrips_AndTruncatedPayloadsDoNotDecode()
    {
        var registration = new ClientRegistration(true, "c1", Key);
        byte[] encoded = registration.Encode();

        var decoded = ClientRegistration.TryDecode(encoded);
        Assert.NotNull(decoded);
        Assert.Equal((true, "c1"), (decoded.Register, decoded.ClientId));
        Assert.Equal(Key, decoded.PublicKey);
        for (int n = 0; n < encoded.Length; n++) Assert.Null(ClientRegistration.TryDecode(encoded[..n]));
    }

    [Fact]
    public void Registry_IsPartOfTheSnapshot()
    {
        var replica = new Replica(new CounterStateMachine(), requireRegistration: true);
        replica.Apply(Admin(true, "c1"));
        var copy = new Replica(new CounterStateMachine(), requireRegistration: true);

        copy.Restore(replica.TakeSnapshot());

        Assert.Equal(Key, copy.RegisteredKey("c1"));
        Assert.Equal(replica.TakeSnapshot(), copy.TakeSnapshot());
        Assert.Equal(ApplyOutcome.Executed, copy.Apply(new Command("c1", 1, [1])).Outcome);
    }
}

public sealed class BarrierTests
{
    [Fact]
    public void ReadBarrier_ChangesNothing_AndReportsStateAtItsPlaceInTheLog()
    {
        var replica = new Replica(new CounterStateMachine());
        replica.Apply(new Command("c1", 1, [1]));
        byte[] before = replica.TakeSnapshot();

        var (outcome, result) = replica.Apply(new Command(Replica.BarrierClientId, 42, []));

        Assert.Equal(ApplyOutcome.Barrier, outcome);
        Assert.Equal(1UL, result!.State);
        Assert.Equal(before, replica.TakeSnapshot());
    }
}
