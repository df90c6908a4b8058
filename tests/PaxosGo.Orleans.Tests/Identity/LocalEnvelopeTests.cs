using System.Text;
using PaxosGo.Core;
using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Identity;

/// <summary>
/// Envelopes a node's grains send to each other are sealed with the process's local key (an HMAC)
/// instead of signed: only that process can make one, not another node, and not another process
/// holding the same node key.
/// </summary>
public sealed class LocalEnvelopeTests : IDisposable
{
    private const string App = "kv";
    private static readonly byte[] Cluster = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();

    private readonly TestMesh mesh = new("node-a", "node-b", "node-c");
    private readonly NodeIdentity self;
    private readonly LocalAttestation local = new();
    private readonly EnvelopeVerifier verifier;

    public LocalEnvelopeTests()
    {
        self = mesh.Identity("node-a");
        verifier = new EnvelopeVerifier(mesh.Mesh, Cluster, self.Index, local);
    }

    public void Dispose() => mesh.Dispose();

    private static byte[] Payload => Encoding.UTF8.GetBytes("accepted 3");

    [Fact]
    public void AnEnvelopeToItself_IsSealedWithTheLocalKey_AndVerifiesInThatProcess()
    {
        var envelope = new EnvelopeSigner(self, Cluster, local).Seal(App, self.Index, Role.Proposer, Payload);

        Assert.Equal(LocalAttestation.Length, envelope.Signature.Length);
        verifier.Verify(envelope, self.Index, Role.Proposer, App);
    }

    [Fact]
    public void AnEnvelopeToAnotherNode_IsStillSigned_WithTheNodeKey()
    {
        var other = mesh.Identity("node-b");
        var envelope = new EnvelopeSigner(self, Cluster, local).Seal(App, other.Index, Role.Proposer, Payload);

        Assert.Equal(NodeKey.SignatureLength, envelope.Signature.Length);
        new EnvelopeVerifier(mesh.Mesh, Cluster, other.Index, new LocalAttestation()).Verify(envelope, other.Index, Role.Proposer, App);
    }

    [Fact]
    public void AnotherProcessWithTheSameNodeKey_CannotSendThisNodeAnEnvelopeFromItself_SignedOrSealed()
    {
        // Signed with the node's Ed25519 key, as another process holding it could.
        var signed = new EnvelopeSigner(self, Cluster).Seal(App, self.Index, Role.Proposer, Payload);
        Assert.Equal(RejectionCodes.BadSignature, Assert.Throws<ProtocolMessageRejectedException>(() => verifier.Verify(signed, self.Index, Role.Proposer, App)).Code);

        // Sealed with that other process's own local key.
        var sealedElsewhere = new EnvelopeSigner(self, Cluster, new LocalAttestation()).Seal(App, self.Index, Role.Proposer, Payload);
        Assert.Equal(RejectionCodes.BadSignature, Assert.Throws<ProtocolMessageRejectedException>(() => verifier.Verify(sealedElsewhere, self.Index, Role.Proposer, App)).Code);
    }

    [Fact]
    public void ALocallySealedEnvelopeWithAnyFieldChanged_IsRefused()
    {
        var envelope = new EnvelopeSigner(self, Cluster, local).Seal(App, self.Index, Role.Proposer, Payload);

        Assert.Equal(RejectionCodes.BadSignature, Assert.Throws<ProtocolMessageRejectedException>(
            () => verifier.Verify(envelope with { Payload = Encoding.UTF8.GetBytes("accepted 4") }, self.Index, Role.Proposer, App)).Code);
        Assert.Equal(RejectionCodes.Misdirected, Assert.Throws<ProtocolMessageRejectedException>(
            () => verifier.Verify(envelope, self.Index, Role.Learner, App)).Code);
        var forgedSeal = envelope.Signature.ToArray();
        forgedSeal[0] ^= 1;
        Assert.Equal(RejectionCodes.BadSignature, Assert.Throws<ProtocolMessageRejectedException>(
            () => verifier.Verify(envelope with { Signature = forgedSeal }, self.Index, Role.Proposer, App)).Code);
    }
}
