using PaxosGo.Core.Simulation;
using Xunit;
using static PaxosGo.Core.Tests.Unit.Fixtures;

namespace PaxosGo.Core.Tests.Unit;

public sealed class RegistrationTests : IDisposable
{
    private const string App = "counter";
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly string C1 = ClientRegistration.ClientIdOf(Key);
    private readonly AdministratorKey _admin = AdministratorKey.FromNumber(1);
    private readonly AdministratorKey _stranger = AdministratorKey.FromNumber(2);
    private ulong _adminRequest;

    public void Dispose()
    {
        _admin.Dispose();
        _stranger.Dispose();
    }

    private Replica NewReplica() => new(new CounterStateMachine(), requireRegistration: true, _admin.For(App));

    private Command Admin(bool register) => _admin.Registration(App, ++_adminRequest, register, Key);

    [Fact]
    public void Replica_RequiringRegistration_RejectsAnUnregisteredClient_WithoutChangingState()
    {
        var replica = NewReplica();

        var applied = replica.Apply(new Command(C1, 1, [1]));

        Assert.Equal((ApplyOutcome.Rejected, RejectionReason.NotRegistered), (applied.Outcome, applied.Rejection));
        Assert.Null(applied.Result);
        Assert.Equal(0UL, replica.State);
        Assert.Equal(0UL, Total(replica));
    }

    [Fact]
    public void Replica_ExecutesAClient_OnceAnAdministrativeCommandRegisteredIt_AndRejectsItAfterRevocation()
    {
        var replica = NewReplica();

        Assert.Equal(ApplyOutcome.Executed, replica.Apply(Admin(true)).Outcome);
        Assert.Equal(Key, replica.RegisteredKey(C1));
        Assert.Equal(ApplyOutcome.Executed, replica.Apply(new Command(C1, 1, [1])).Outcome);
        Assert.Equal(ApplyOutcome.Executed, replica.Apply(Admin(false)).Outcome);
        Assert.Equal(ApplyOutcome.Rejected, replica.Apply(new Command(C1, 2, [1])).Outcome);

        // Two administrative commands and one client command executed; the counter saw only the client's.
        Assert.Equal(3UL, replica.State);
        Assert.Equal(1UL, Total(replica));
    }

    [Fact]
    public void Revocation_ReleasesTheCachedResult_ButAReRegisteredClientsOldRequestsNeverExecuteAgain()
    {
        var replica = NewReplica();
        replica.Apply(Admin(true));
        Assert.Equal(ApplyOutcome.Executed, replica.Apply(new Command(C1, 10, [1])).Outcome);
        replica.Apply(Admin(false));
        Assert.False(replica.TryGetCachedResult(C1, 10, out _));
        Assert.True(replica.IsStale(C1, 10));

        // The tombstone survives a snapshot, byte for byte on every replica.
        var restored = NewReplica();
        restored.Restore(replica.TakeSnapshot());
        Assert.Equal(replica.TakeSnapshot(), restored.TakeSnapshot());

        var again = Admin(true);
        foreach (var r in new[] { replica, restored })
        {
            ulong state = r.State;
            r.Apply(again);
            Assert.Equal(ApplyOutcome.Stale, r.Apply(new Command(C1, 10, [1])).Outcome);
            Assert.Equal(ApplyOutcome.Stale, r.Apply(new Command(C1, 9, [1])).Outcome);
            Assert.Equal(ApplyOutcome.Executed, r.Apply(new Command(C1, 11, [1])).Outcome);
            Assert.Equal(state + 2, r.State);
            Assert.Equal(2UL, Total(r));
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
    public void AnUnsignedAdministrativeCommandInTheLog_IsRejectedAsMalformed_AndChangesNothing()
    {
        var replica = NewReplica();
        byte[] before = replica.TakeSnapshot();

        // The bare registration body, as an entry node that skipped the signature would propose it.
        var unsigned = new Command(Replica.AdminClientId, 1, new ClientRegistration(true, C1, Key).Encode());
        var garbage = new Command(Replica.AdminClientId, 2, [9, 9, 9]);

        foreach (var command in new[] { unsigned, garbage })
        {
            var applied = replica.Apply(command);
            Assert.Equal((ApplyOutcome.Rejected, RejectionReason.Malformed), (applied.Outcome, applied.Rejection));
        }

        Assert.Null(replica.RegisteredKey(C1));
        Assert.Equal(before, replica.TakeSnapshot());
    }

    [Fact]
    public void AnAdministrativeCommandSignedByAnotherKey_OrForAnotherApplicationOrRequest_IsRejectedForItsSignature_AndChangesNothing()
    {
        var replica = NewReplica();
        byte[] before = replica.TakeSnapshot();
        byte[] body = new ClientRegistration(true, C1, Key).Encode();
        var genuine = _admin.Registration(App, 5, true, Key);

        var forged = new[]
        {
            new Command(Replica.AdminClientId, 5, _stranger.SignedPayload(App, 5, body)),        // another key
            new Command(Replica.AdminClientId, 5, _admin.SignedPayload("other-app", 5, body)),   // signed for another application
            new Command(Replica.AdminClientId, 6, genuine.Payload),                               // a genuine signature under another request id
            new Command(Replica.AdminClientId, 5, AdministrativeCommand.Wrap(body, new byte[64])), // no signature at all
        };

        foreach (var command in forged)
        {
            var applied = replica.Apply(command);
            Assert.Equal((ApplyOutcome.Rejected, RejectionReason.BadSignature), (applied.Outcome, applied.Rejection));
        }

        Assert.Null(replica.RegisteredKey(C1));
        Assert.Equal(before, replica.TakeSnapshot());
    }

    [Fact]
    public void AReplicaWithoutAnAdministrator_RejectsEveryAdministrativeCommand()
    {
        var replica = new Replica(new CounterStateMachine(), requireRegistration: true);

        var applied = replica.Apply(Admin(true));

        Assert.Equal((ApplyOutcome.Rejected, RejectionReason.BadSignature), (applied.Outcome, applied.Rejection));
        Assert.Equal(0UL, replica.State);
    }

    [Fact]
    public void AReplayedAdministrativeCommand_IsAnsweredFromTheSessionTable_AndExecutesOnce()
    {
        var replica = NewReplica();
        var registration = Admin(true);
        var first = replica.Apply(registration);
        replica.Apply(Admin(false));

        // The registration again, after its revocation: stale, so the revoked client stays revoked.
        Assert.Equal(ApplyOutcome.Stale, replica.Apply(registration).Outcome);
        Assert.Null(replica.RegisteredKey(C1));
        Assert.Equal(first.Result!.State + 1, replica.State);
    }

    [Theory]
    [InlineData("long")]
    [InlineData("another-clients-id")]
    [InlineData("uppercase-hex")]
    [InlineData("admin")]
    [InlineData("short-key")]
    public void ARegistrationWhoseClientIdIsNotItsKeysHash_IsRejectedAsMalformed_OnEveryReplica(string shape)
    {
        var (clientId, key) = shape switch
        {
            "long" => (new string('a', 10_000), Key),
            "another-clients-id" => (ClientRegistration.ClientIdOf(new byte[32]), Key),
            "uppercase-hex" => (C1.ToUpperInvariant(), Key),
            "admin" => (Replica.AdminClientId, Key),
            _ => (ClientRegistration.ClientIdOf(Key.AsSpan(0, 16)), Key.AsSpan(0, 16).ToArray()),
        };
        var command = new Command(Replica.AdminClientId, 1, _admin.SignedPayload(App, 1, new ClientRegistration(true, clientId, key).Encode()));
        var replica = NewReplica();

        var applied = replica.Apply(command);

        Assert.Equal((ApplyOutcome.Rejected, RejectionReason.Malformed), (applied.Outcome, applied.Rejection));
        Assert.Equal(0UL, replica.State);
        Assert.Empty(replica.RegisteredClients);
    }

    [Fact]
    public void AForgedRegistrationChosenInTheLog_IsRefusedByTheLearnersReplica_AndTheNextCommandsStillApply()
    {
        var options = new LearnerOptions { RequireRegistration = true, Administrator = _admin.For(App) };
        var learner = new Learner(N0, Nodes, new CounterStateMachine(), null, [], options);
        byte[] body = new ClientRegistration(true, C1, Key).Encode();
        var forged = new Command(Replica.AdminClientId, 1, _stranger.SignedPayload(App, 1, body));

        var step = learner.Handle(new Chosen(N1, 0, Batch(forged, new Command(C1, 1, [1]))));
        var next = learner.Handle(new Chosen(N1, 1, Batch(Admin(true), new Command(C1, 2, [1]))));

        Assert.Equal(
            [(ApplyOutcome.Rejected, RejectionReason.BadSignature), (ApplyOutcome.Rejected, RejectionReason.NotRegistered)],
            step.Applied.Select(a => (a.Outcome, a.Rejection)).ToArray());
        Assert.All(next.Applied, a => Assert.Equal(ApplyOutcome.Executed, a.Outcome));
        Assert.Equal(2UL, learner.Replica.State);
    }

    [Fact]
    public void ClientRegistration_RoundTrips_AndTruncatedPayloadsDoNotDecode()
    {
        var registration = new ClientRegistration(true, C1, Key);
        byte[] encoded = registration.Encode();

        var decoded = ClientRegistration.TryDecode(encoded);
        Assert.NotNull(decoded);
        Assert.Equal((true, C1), (decoded.Register, decoded.ClientId));
        Assert.Equal(Key, decoded.PublicKey);
        Assert.True(decoded.IsWellFormed);
        for (int n = 0; n < encoded.Length; n++) Assert.Null(ClientRegistration.TryDecode(encoded.AsSpan(0, n)));
    }

    [Fact]
    public void AdministrativeCommand_UnwrapsOnlyItsOwnLayout()
    {
        byte[] wrapped = AdministrativeCommand.Wrap([1, 2, 3], new byte[64]);

        Assert.True(AdministrativeCommand.TryUnwrap(wrapped, out var body, out var signature));
        Assert.Equal([1, 2, 3], body.ToArray());
        Assert.Equal(64, signature.Length);
        for (int n = 0; n < wrapped.Length; n++) Assert.False(AdministrativeCommand.TryUnwrap(wrapped.AsSpan(0, n), out _, out _));
        Assert.False(AdministrativeCommand.TryUnwrap([.. wrapped, 0], out _, out _));
    }

    [Fact]
    public void Registry_IsPartOfTheSnapshot()
    {
        var replica = NewReplica();
        replica.Apply(Admin(true));
        var copy = NewReplica();

        copy.Restore(replica.TakeSnapshot());

        Assert.Equal(Key, copy.RegisteredKey(C1));
        Assert.Equal(replica.TakeSnapshot(), copy.TakeSnapshot());
        Assert.Equal(ApplyOutcome.Executed, copy.Apply(new Command(C1, 1, [1])).Outcome);
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
