using System.Text;
using PaxosGo.Core;
using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Orleans.Tests.Identity;

public sealed class EnvelopeTests : IDisposable
{
    private const string App = "kv";
    private static readonly byte[] Cluster = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();

    private readonly TestMesh mesh = new("node-a", "node-b", "node-c");
    private readonly EnvelopeVerifier verifier;
    private readonly NodeIdentity sender;
    private readonly NodeIdentity receiver;

    public EnvelopeTests()
    {
        verifier = new EnvelopeVerifier(mesh.Mesh, Cluster);
        sender = mesh.Identity("node-a");
        receiver = mesh.Identity("node-c");
    }

    public void Dispose() => mesh.Dispose();

    private SignedEnvelope Sealed() =>
        new EnvelopeSigner(sender, Cluster).Seal(App, receiver.Index, Role.Acceptor, Encoding.UTF8.GetBytes("prepare 7"));

    private ProtocolMessageRejectedException Rejected(SignedEnvelope envelope, int? to = null, Role role = Role.Acceptor, string app = App) =>
        Assert.Throws<ProtocolMessageRejectedException>(() => verifier.Verify(envelope, to ?? receiver.Index, role, app));

    private int OtherThan(params int[] indices) => Enumerable.Range(0, mesh.Mesh.Count).First(i => !indices.Contains(i));

    [Fact]
    public void Sealed_envelope_verifies_and_carries_sender_recipient_role_and_payload()
    {
        var envelope = Sealed();

        verifier.Verify(envelope, receiver.Index, Role.Acceptor, App);

        Assert.Equal(App, envelope.Application);
        Assert.Equal(sender.Index, envelope.From);
        Assert.Equal(receiver.Index, envelope.To);
        Assert.Equal((byte)Role.Acceptor, envelope.Role);
        Assert.Equal("prepare 7", Encoding.UTF8.GetString(envelope.Payload));
        Assert.Equal(64, envelope.Signature.Length);
    }

    [Fact]
    public void Envelope_to_itself_with_empty_payload_verifies()
    {
        var envelope = new EnvelopeSigner(sender, Cluster).Seal(App, sender.Index, Role.Learner, []);

        verifier.Verify(envelope, sender.Index, Role.Learner, App);
    }

    [Fact]
    public void Changed_application_is_rejected_as_misdirected()
    {
        var ex = Rejected(Sealed() with { Application = "other" });
        Assert.Equal(RejectionCodes.Misdirected, ex.Code);
    }

    [Fact]
    public void Changed_recipient_is_rejected_as_misdirected()
    {
        var ex = Rejected(Sealed() with { To = OtherThan(receiver.Index) });
        Assert.Equal(RejectionCodes.Misdirected, ex.Code);
    }

    [Fact]
    public void Changed_role_is_rejected_as_misdirected()
    {
        var ex = Rejected(Sealed() with { Role = (byte)Role.Learner });
        Assert.Equal(RejectionCodes.Misdirected, ex.Code);
    }

    [Fact]
    public void Envelope_received_by_the_wrong_node_role_or_application_is_rejected_as_misdirected()
    {
        var envelope = Sealed();

        Assert.Equal(RejectionCodes.Misdirected, Rejected(envelope, to: OtherThan(receiver.Index)).Code);
        Assert.Equal(RejectionCodes.Misdirected, Rejected(envelope, role: Role.Proposer).Code);
        Assert.Equal(RejectionCodes.Misdirected, Rejected(envelope, app: "Kv").Code);
    }

    [Fact]
    public void Changed_sender_is_rejected_as_bad_signature()
    {
        var ex = Rejected(Sealed() with { From = OtherThan(sender.Index) });
        Assert.Equal(RejectionCodes.BadSignature, ex.Code);
    }

    [Fact]
    public void Changed_payload_byte_is_rejected_as_bad_signature()
    {
        var envelope = Sealed();
        var payload = (byte[])envelope.Payload.Clone();
        payload[^1] ^= 0x01;

        Assert.Equal(RejectionCodes.BadSignature, Rejected(envelope with { Payload = payload }).Code);
        Assert.Equal(RejectionCodes.BadSignature, Rejected(envelope with { Payload = [.. envelope.Payload, 0] }).Code);
    }

    [Fact]
    public void Changed_signature_byte_is_rejected_as_bad_signature()
    {
        var envelope = Sealed();
        for (var i = 0; i < envelope.Signature.Length; i += 7)
        {
            var signature = (byte[])envelope.Signature.Clone();
            signature[i] ^= 0x80;

            Assert.Equal(RejectionCodes.BadSignature, Rejected(envelope with { Signature = signature }).Code);
        }
    }

    [Fact]
    public void Redirected_envelope_is_rejected_as_bad_signature_even_where_it_looks_well_addressed()
    {
        // The signature covers recipient, role and application: a forwarder cannot re-address an envelope.
        var envelope = Sealed();
        var otherNode = OtherThan(receiver.Index);

        Assert.Equal(RejectionCodes.BadSignature, Rejected(envelope with { To = otherNode }, to: otherNode).Code);
        Assert.Equal(RejectionCodes.BadSignature, Rejected(envelope with { Role = (byte)Role.Learner }, role: Role.Learner).Code);
        Assert.Equal(RejectionCodes.BadSignature, Rejected(envelope with { Application = "other" }, app: "other").Code);
    }

    [Theory]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(0)]
    public void Signature_that_is_not_64_bytes_is_rejected_as_bad_signature(int length)
    {
        var ex = Rejected(Sealed() with { Signature = new byte[length] });
        Assert.Equal(RejectionCodes.BadSignature, ex.Code);
    }

    [Fact]
    public void Envelope_signed_by_a_key_outside_the_mesh_claiming_a_mesh_sender_is_rejected_as_bad_signature()
    {
        using var stranger = NodeKey.Generate();
        var payload = Encoding.UTF8.GetBytes("accept 7");
        var canonical = EnvelopeEncoding.CanonicalBytes(Cluster, App, sender.Index, receiver.Index, (byte)Role.Acceptor, payload);
        var forged = new SignedEnvelope(App, sender.Index, receiver.Index, (byte)Role.Acceptor, payload, stranger.Sign(canonical), Cluster);

        var ex = Rejected(forged);

        Assert.Equal(RejectionCodes.BadSignature, ex.Code);
        Assert.Contains("node-a", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    [InlineData(int.MaxValue)]
    public void Sender_index_outside_the_mesh_is_rejected_as_unknown_sender(int from)
    {
        var ex = Rejected(Sealed() with { From = from });
        Assert.Equal(RejectionCodes.UnknownSender, ex.Code);
        Assert.Contains(from.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_fields_are_rejected_as_malformed()
    {
        var envelope = Sealed();

        Assert.Equal(RejectionCodes.Malformed, Rejected(envelope with { Application = null! }).Code);
        Assert.Equal(RejectionCodes.Malformed, Rejected(envelope with { Payload = null! }).Code);
        Assert.Equal(RejectionCodes.Malformed, Rejected(envelope with { Signature = null! }).Code);
        Assert.Equal(RejectionCodes.Malformed, Rejected(envelope with { Cluster = null! }).Code);
        Assert.Equal(RejectionCodes.Malformed, Rejected(null!).Code);
    }

    [Fact]
    public void Payload_over_16_MiB_is_rejected_as_malformed_and_cannot_be_sealed()
    {
        var big = new byte[(16 * 1024 * 1024) + 1];
        var signer = new EnvelopeSigner(sender, Cluster);

        Assert.Equal(RejectionCodes.Malformed, Rejected(Sealed() with { Payload = big }).Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => signer.Seal(App, receiver.Index, Role.Acceptor, big));
    }

    [Fact]
    public void Payload_of_exactly_16_MiB_verifies()
    {
        var envelope = new EnvelopeSigner(sender, Cluster).Seal(App, receiver.Index, Role.Acceptor, new byte[16 * 1024 * 1024]);

        verifier.Verify(envelope, receiver.Index, Role.Acceptor, App);
    }

    [Fact]
    public void Application_over_256_utf8_bytes_is_rejected_as_malformed_and_cannot_be_sealed()
    {
        var longest = new string('é', 128); // 256 UTF-8 bytes
        var tooLong = longest + "x";
        var signer = new EnvelopeSigner(sender, Cluster);
        var envelope = signer.Seal(longest, receiver.Index, Role.Acceptor, [1]);
        verifier.Verify(envelope, receiver.Index, Role.Acceptor, longest);

        Assert.Equal(RejectionCodes.Malformed, Rejected(envelope with { Application = tooLong }, app: tooLong).Code);
        Assert.Throws<ArgumentException>(() => signer.Seal(tooLong, receiver.Index, Role.Acceptor, [1]));
    }

    [Fact]
    public void Seal_refuses_a_recipient_outside_the_mesh_or_an_unknown_role()
    {
        var signer = new EnvelopeSigner(sender, Cluster);

        Assert.Throws<ArgumentOutOfRangeException>(() => signer.Seal(App, 3, Role.Acceptor, [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => signer.Seal(App, -1, Role.Acceptor, [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => signer.Seal(App, 0, (Role)9, [1]));
    }

    [Fact]
    public void Canonical_encoding_is_domain_tag_cluster_digest_then_length_prefixed_little_endian_fields()
    {
        var bytes = EnvelopeEncoding.CanonicalBytes(Cluster, "kv", 1, 0x0203, 2, [0xaa, 0xbb]);

        byte[] expected =
        [
            .. Encoding.ASCII.GetBytes("paxosgo-envelope-v2"),
            .. Cluster,
            2, 0, 0, 0, (byte)'k', (byte)'v',
            1, 0, 0, 0,
            3, 2, 0, 0,
            2,
            2, 0, 0, 0, 0xaa, 0xbb,
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Envelope_from_a_node_configured_with_another_mesh_or_admin_key_is_rejected_as_config_mismatch()
    {
        byte[] other = Cluster.ToArray();
        other[0] ^= 1;
        var envelope = new EnvelopeSigner(sender, other).Seal(App, receiver.Index, Role.Acceptor, [1]);

        var ex = Rejected(envelope);

        Assert.Equal(RejectionCodes.ConfigurationMismatch, ex.Code);
        Assert.Contains("administrator key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Envelope_whose_cluster_digest_was_rewritten_to_the_receivers_fails_its_signature()
    {
        byte[] other = Cluster.ToArray();
        other[0] ^= 1;
        var envelope = new EnvelopeSigner(sender, other).Seal(App, receiver.Index, Role.Acceptor, [1]);

        Assert.Equal(RejectionCodes.BadSignature, Rejected(envelope with { Cluster = Cluster }).Code);
    }

    [Fact]
    public void Cluster_digest_differs_when_the_admin_key_or_a_node_key_differs()
    {
        using var otherMesh = new TestMesh("node-a", "node-b", "node-c");
        byte[] admin = new byte[32], otherAdmin = Enumerable.Repeat((byte)1, 32).ToArray();

        byte[] digest = ClusterDigest.Compute(mesh.Mesh, admin);

        Assert.Equal(digest, ClusterDigest.Compute(Mesh.Parse(mesh.Mesh.ToJson()), admin));
        Assert.NotEqual(digest, ClusterDigest.Compute(mesh.Mesh, otherAdmin));
        Assert.NotEqual(digest, ClusterDigest.Compute(otherMesh.Mesh, admin));
    }
}
