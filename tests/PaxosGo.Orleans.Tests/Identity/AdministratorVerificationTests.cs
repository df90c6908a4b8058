using PaxosGo.Core;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Identity;

public sealed class AdministratorVerificationTests
{
    [Fact]
    public void ACommandTheAdministratorSigned_VerifiesAtApply_AndOnlyForItsApplicationAndRequest()
    {
        using var admin = NodeKey.Generate();
        using var client = NodeKey.Generate();
        var signed = CommandSigner.ForAdministrator(admin).Registration("counter", 42, true, client.NodeId, client.PublicKey);
        var replica = new Replica(new CounterStateMachine(), requireRegistration: true, new Administrator("counter", new Ed25519Verifier(admin.PublicKey)));
        var other = new Replica(new CounterStateMachine(), requireRegistration: true, new Administrator("other", new Ed25519Verifier(admin.PublicKey)));
        var command = new Command(Replica.AdminClientId, 42, AdministrativeCommand.Wrap(signed.Payload, signed.Signature));

        Assert.Equal(ApplyOutcome.Executed, replica.Apply(command).Outcome);
        Assert.Equal(client.PublicKey, replica.RegisteredKey(client.NodeId));
        Assert.Equal(RejectionReason.BadSignature, other.Apply(command).Rejection);
        Assert.Equal(RejectionReason.BadSignature, replica.Apply(new Command(Replica.AdminClientId, 43, command.Payload)).Rejection);
    }
}
