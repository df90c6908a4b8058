using Orleans;

namespace PaxosGo.Orleans.Identity;

/// <summary>
/// What one node sends another in one call: every protocol message of every application that the
/// sender's grains had for that node since its last batch, under one Ed25519 signature (see
/// <see cref="EnvelopeSigner.SealBatch"/> and <see cref="EnvelopeVerifier.VerifyBatch"/>). The
/// sender numbers its batches per receiver (<see cref="Incarnation"/>, <see cref="Sequence"/>) so
/// that a batch received twice is refused. The arrays must not be modified once the batch is built.
/// </summary>
/// <param name="From">The sender's mesh index.</param>
/// <param name="To">The receiver's mesh index.</param>
/// <param name="Incarnation">The sender process's incarnation: its start time (UTC ticks), larger after every restart.</param>
/// <param name="Sequence">The batch's number on this link within the incarnation, from 1.</param>
/// <param name="Items">The messages, in the order the sender's grains sent them.</param>
/// <param name="Signature">The sender's 64-byte Ed25519 signature over all of it.</param>
/// <param name="Cluster">The sender's <see cref="ClusterDigest"/> (signed with the rest).</param>
[GenerateSerializer, Immutable]
public sealed record LinkBatch(
    [property: Id(0)] int From,
    [property: Id(1)] int To,
    [property: Id(2)] long Incarnation,
    [property: Id(3)] ulong Sequence,
    [property: Id(4)] LinkItem[] Items,
    [property: Id(5)] byte[] Signature,
    [property: Id(6)] byte[] Cluster);

/// <summary>One protocol message in a <see cref="LinkBatch"/>.</summary>
/// <param name="Application">The application (replicated state machine) the message belongs to.</param>
/// <param name="Role">The receiving role, as <c>(byte)PaxosGo.Core.Role</c>.</param>
/// <param name="Payload">The encoded protocol message.</param>
[GenerateSerializer, Immutable]
public sealed record LinkItem(
    [property: Id(0)] string Application,
    [property: Id(1)] byte Role,
    [property: Id(2)] byte[] Payload);
