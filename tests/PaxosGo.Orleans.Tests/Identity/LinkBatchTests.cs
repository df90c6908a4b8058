using System.Text;
using PaxosGo.Core;
using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Identity;

public sealed class LinkBatchTests : IDisposable
{
    private static readonly byte[] Cluster = Enumerable.Range(0, 32).Select(i => (byte)(i * 5)).ToArray();

    private readonly TestMesh mesh = new("node-a", "node-b", "node-c");
    private readonly EnvelopeVerifier verifier;
    private readonly NodeIdentity sender;
    private readonly NodeIdentity receiver;

    public LinkBatchTests()
    {
        verifier = new EnvelopeVerifier(mesh.Mesh, Cluster);
        sender = mesh.Identity("node-a");
        receiver = mesh.Identity("node-c");
    }

    public void Dispose() => mesh.Dispose();

    private static LinkItem[] Items() =>
    [
        new("kv", (byte)Role.Acceptor, Encoding.UTF8.GetBytes("accept 7")),
        new("kv", (byte)Role.Learner, Encoding.UTF8.GetBytes("chosen 6")),
        new("dns", (byte)Role.Proposer, []),
    ];

    private LinkBatch Sealed() => new EnvelopeSigner(sender, Cluster).SealBatch(receiver.Index, 42, 7, Items());

    private ProtocolMessageRejectedException Rejected(LinkBatch batch, int? from = null, int? to = null) =>
        Assert.Throws<ProtocolMessageRejectedException>(() => verifier.VerifyBatch(batch, from ?? sender.Index, to ?? receiver.Index));

    [Fact]
    public void ASealedBatch_VerifiesOnce_ForEveryMessageOfEveryApplicationInIt()
    {
        var batch = Sealed();

        verifier.VerifyBatch(batch, sender.Index, receiver.Index);

        Assert.Equal((sender.Index, receiver.Index, 42L, 7UL), (batch.From, batch.To, batch.Incarnation, batch.Sequence));
        Assert.Equal(3, batch.Items.Length);
        Assert.Equal(64, batch.Signature.Length);
    }

    [Fact]
    public void AnyChangedByteOfAnyMessage_OrItsApplicationOrRole_IsRefusedAsBadSignature()
    {
        var batch = Sealed();
        for (var i = 0; i < batch.Items.Length; i++)
        {
            var item = batch.Items[i];
            LinkItem[] With(LinkItem changed)
            {
                var items = (LinkItem[])batch.Items.Clone();
                items[i] = changed;
                return items;
            }

            Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { Items = With(item with { Payload = [.. item.Payload, 0] }) }).Code);
            Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { Items = With(item with { Application = item.Application + "x" }) }).Code);
            Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { Items = With(item with { Role = (byte)((item.Role + 1) % 3) }) }).Code);
        }
    }

    [Fact]
    public void ADroppedAddedOrReorderedMessage_IsRefusedAsBadSignature()
    {
        var batch = Sealed();

        Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { Items = batch.Items[1..] }).Code);
        Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { Items = [.. batch.Items, batch.Items[0]] }).Code);
        Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { Items = [batch.Items[1], batch.Items[0], batch.Items[2]] }).Code);
    }

    [Fact]
    public void ARenumberedBatch_IsRefusedAsBadSignature_SoAReplayCannotPassForANewOne()
    {
        var batch = Sealed();

        Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { Sequence = 8 }).Code);
        Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { Incarnation = 43 }).Code);
    }

    [Fact]
    public void ABatchReceivedOnAnotherLink_IsRefusedAsMisdirected_AndReaddressingItBreaksTheSignature()
    {
        var batch = Sealed();
        var third = mesh.Identity("node-b").Index;

        Assert.Equal(RejectionCodes.Misdirected, Rejected(batch, to: third).Code);
        Assert.Equal(RejectionCodes.Misdirected, Rejected(batch, from: third).Code);
        Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { To = third }, to: third).Code);
        Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { From = third }, from: third).Code);
    }

    [Fact]
    public void ABatchSignedWithAKeyOutsideTheMesh_IsRefusedAsBadSignature()
    {
        // Another key under node-a's name (the outsider's mesh may number the nodes differently).
        using var outsider = new TestMesh("node-a", "node-b", "node-c");
        var outsiderA = outsider.Identity("node-a");
        var forged = new EnvelopeSigner(outsiderA, Cluster).SealBatch((outsiderA.Index + 1) % 3, 42, 7, Items()) with { From = sender.Index, To = receiver.Index };

        Assert.Equal(RejectionCodes.BadSignature, Rejected(forged).Code);
    }

    [Fact]
    public void ABatchUnderAnotherClusterDigest_OrFromOutsideTheMesh_IsRefused()
    {
        var other = new EnvelopeSigner(sender, Enumerable.Repeat((byte)1, 32).ToArray()).SealBatch(receiver.Index, 42, 7, Items());

        Assert.Equal(RejectionCodes.ConfigurationMismatch, Rejected(other).Code);
        Assert.Equal(RejectionCodes.UnknownSender, Rejected(Sealed() with { From = 9 }, from: 9).Code);
    }

    [Fact]
    public void AnEmptyOrOversizedOrIncompleteBatch_IsRefusedAsMalformed_BeforeAnySignatureCheck()
    {
        var batch = Sealed();

        Assert.Equal(RejectionCodes.Malformed, Rejected(batch with { Items = [] }).Code);
        Assert.Equal(RejectionCodes.Malformed, Rejected(batch with { Items = Enumerable.Repeat(batch.Items[0], 4097).ToArray() }).Code);
        Assert.Equal(RejectionCodes.Malformed, Rejected(batch with { Items = [batch.Items[0] with { Payload = null! }] }).Code);
        Assert.Equal(RejectionCodes.Malformed, Rejected(batch with { Items = [batch.Items[0] with { Application = new string('a', 257) }] }).Code);
        Assert.Equal(RejectionCodes.Malformed, Rejected(batch with { Items = [new LinkItem("kv", 0, new byte[9 * 1024 * 1024]), new LinkItem("kv", 0, new byte[8 * 1024 * 1024])] }).Code);
        Assert.Equal(RejectionCodes.BadSignature, Rejected(batch with { Signature = new byte[63] }).Code);
    }

    [Fact]
    public void TheSigner_RefusesABatchToItselfOrAnEmptyOne()
    {
        var signer = new EnvelopeSigner(sender, Cluster);

        Assert.Throws<ArgumentException>(() => signer.SealBatch(sender.Index, 1, 1, Items()));
        Assert.Throws<ArgumentException>(() => signer.SealBatch(receiver.Index, 1, 1, []));
    }
}
