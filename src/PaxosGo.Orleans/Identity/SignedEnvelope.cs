using Orleans;

namespace PaxosGo.Orleans.Identity;

/// <summary>
/// The unit carried by every node-to-node grain call: an encoded protocol message, who sent it to
/// which role of which node for which application, the sender's cluster digest, and the sender's
/// signature over all of it (see
/// <see cref="EnvelopeSigner"/> and <see cref="EnvelopeVerifier"/>). The arrays must not be modified
/// once the envelope is built.
/// </summary>
/// <param name="Application">The application (replicated state machine) the message belongs to.</param>
/// <param name="From">The sender's mesh index.</param>
/// <param name="To">The receiver's mesh index.</param>
/// <param name="Role">The receiving role, as <c>(byte)PaxosGo.Core.Role</c>.</param>
/// <param name="Payload">The encoded protocol message.</param>
/// <param name="Signature">The sender's 64-byte Ed25519 signature.</param>
/// <param name="Cluster">The sender's <see cref="ClusterDigest"/> (signed with the rest).</param>
[GenerateSerializer, Immutable]
public sealed record SignedEnvelope(
    [property: Id(0)] string Application,
    [property: Id(1)] int From,
    [property: Id(2)] int To,
    [property: Id(3)] byte Role,
    [property: Id(4)] byte[] Payload,
    [property: Id(5)] byte[] Signature,
    [property: Id(6)] byte[] Cluster);
