using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// The calls one node's grains make to each other, each attested with the node's
/// <see cref="LocalAttestation"/>: the caller side (which grain, which arguments) and the callee's
/// check live here together, so both always agree on what an attestation covers.
/// </summary>
internal static class InternalCalls
{
    /// <summary>The most commands one <see cref="SubmitToProposer"/> call carries.</summary>
    public const int MaxSubmitBatch = 256;

    /// <summary>Hands verified commands to this node's proposer, in one call with one attestation.</summary>
    public static Task SubmitToProposer(this PaxosGoNode node, IGrainFactory grains, string application, ClientCommand[] commands) =>
        grains.GetGrain<IProposerGrain>(GrainKeys.For(application, node.Identity.Name))
            .Submit(commands, node.AttestSubmit(application, commands));

    /// <summary>This node's attestation of a <see cref="IProposerGrain.Submit"/> of <paramref name="commands"/>: one HMAC over all of them, in order.</summary>
    public static byte[] AttestSubmit(this PaxosGoNode node, string application, IReadOnlyList<ClientCommand> commands) =>
        node.Attestation.Attest(InternalCall.Submit, application, "", (ulong)commands.Count, SubmitBody(commands));

    /// <summary>Refuses commands that this node's grains did not hand over (or a batch that is empty, too large or has a missing field).</summary>
    public static void CheckSubmit(this PaxosGoNode node, string application, ClientCommand[]? commands, byte[] attestation)
    {
        if (commands is null || commands.Length == 0 || commands.Length > MaxSubmitBatch || commands.Any(c => c?.ClientId is null || c.Payload is null))
        {
            throw new ProtocolMessageRejectedException(RejectionCodes.Malformed, $"A Submit carries 1 to {MaxSubmitBatch} commands, each with every field.");
        }

        node.Attestation.Require(attestation, InternalCall.Submit, application, "", (ulong)commands.Length, SubmitBody(commands));
    }

    /// <summary>The commands as the attestation covers them: for each, its client id (length-prefixed UTF-8), request id and payload (length-prefixed).</summary>
    private static byte[] SubmitBody(IReadOnlyList<ClientCommand> commands)
    {
        int size = 0;
        foreach (var c in commands) size += 4 + System.Text.Encoding.UTF8.GetByteCount(c.ClientId) + 8 + 4 + c.Payload.Length;
        var body = new byte[size];
        var span = body.AsSpan();
        foreach (var c in commands)
        {
            int id = System.Text.Encoding.UTF8.GetBytes(c.ClientId, span[4..]);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span, id);
            span = span[(4 + id)..];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(span, c.RequestId);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span[8..], c.Payload.Length);
            c.Payload.CopyTo(span[12..]);
            span = span[(12 + c.Payload.Length)..];
        }

        return body;
    }

    /// <summary>Tells this node's proposer how far its learner has applied.</summary>
    public static Task NoteLearned(this PaxosGoNode node, IGrainFactory grains, string application, ulong nextSlot) =>
        grains.GetGrain<IProposerGrain>(GrainKeys.For(application, node.Identity.Name))
            .NoteLearned(nextSlot, node.Attestation.Attest(InternalCall.NoteLearned, application, "", nextSlot, default));

    /// <summary>Refuses a learner report that is not this node's.</summary>
    public static void CheckNoteLearned(this PaxosGoNode node, string application, ulong nextSlot, byte[] attestation) =>
        node.Attestation.Require(attestation, InternalCall.NoteLearned, application, "", nextSlot, default);

    /// <summary>Tells this node's proposer how far its acceptor's durable votes reach.</summary>
    public static Task NoteVoted(this PaxosGoNode node, IGrainFactory grains, string application, ulong votedBelow) =>
        grains.GetGrain<IProposerGrain>(GrainKeys.For(application, node.Identity.Name))
            .NoteVoted(votedBelow, node.Attestation.Attest(InternalCall.NoteVoted, application, "", votedBelow, default));

    /// <summary>Refuses an acceptor report that is not this node's.</summary>
    public static void CheckNoteVoted(this PaxosGoNode node, string application, ulong votedBelow, byte[] attestation) =>
        node.Attestation.Require(attestation, InternalCall.NoteVoted, application, "", votedBelow, default);

    /// <summary>Hands a verified command to this node's learner, which admits it (registration, request id), proposes it and waits for its result.</summary>
    public static Task<CommandReply> Admit(this PaxosGoNode node, IGrainFactory grains, string application, ClientCommand command) =>
        grains.GetGrain<ILearnerGrain>(GrainKeys.For(application, node.Identity.Name))
            .Admit(command, node.Attestation.Attest(InternalCall.Admit, application, command.ClientId, command.RequestId, command.Payload));

    /// <summary>Refuses a command that this node's entry grain did not verify.</summary>
    public static void CheckAdmit(this PaxosGoNode node, string application, ClientCommand? command, byte[] attestation)
    {
        if (command?.ClientId is null || command.Payload is null)
        {
            throw new ProtocolMessageRejectedException(RejectionCodes.Malformed, "The command is missing a field.");
        }

        node.Attestation.Require(attestation, InternalCall.Admit, application, command.ClientId, command.RequestId, command.Payload);
    }

    /// <summary>Looks a client up in this node's replica of <paramref name="application"/>.</summary>
    public static Task<ClientInfo> LookupClient(this PaxosGoNode node, IGrainFactory grains, string application, string clientId) =>
        grains.GetGrain<ILearnerGrain>(GrainKeys.For(application, node.Identity.Name))
            .LookupClient(clientId, node.Attestation.Attest(InternalCall.LookupClient, application, clientId, 0, default));

    /// <summary>Refuses a lookup that this node's entry grain did not ask for.</summary>
    public static void CheckLookupClient(this PaxosGoNode node, string application, string clientId, byte[] attestation) =>
        node.Attestation.Require(attestation, InternalCall.LookupClient, application, clientId ?? "", 0, default);

    /// <summary>The grain of <paramref name="role"/> of <paramref name="application"/> on <paramref name="node"/>.</summary>
    public static IProtocolGrain ProtocolGrain(this IGrainFactory grains, PaxosGo.Core.Role role, string application, string node)
    {
        string key = GrainKeys.For(application, node);
        return role switch
        {
            PaxosGo.Core.Role.Acceptor => grains.GetGrain<IAcceptorGrain>(key),
            PaxosGo.Core.Role.Proposer => grains.GetGrain<IProposerGrain>(key),
            _ => grains.GetGrain<ILearnerGrain>(key),
        };
    }

    /// <summary>The most messages one <see cref="IProtocolGrain.Relay"/> call carries (a link batch's most).</summary>
    public static int MaxRelayBatch => EnvelopeEncoding.MaxBatchItems;

    /// <summary>Relays verified messages of another node to one of this node's grains, in one one-way call with one attestation.</summary>
    public static Task Relay(this PaxosGoNode node, IGrainFactory grains, RelayedMessages messages)
    {
        var target = grains.ProtocolGrain((PaxosGo.Core.Role)messages.Role, messages.Application, node.Identity.Name);
        return target.Relay(messages, node.Attestation.Attest(InternalCall.Relay, messages.Application, "", RelayNumber(messages), RelayBody(messages.Payloads)));
    }

    /// <summary>Refuses relayed messages that this node's link grain did not hand over (or a relay that is empty, too large or has a missing field).</summary>
    public static void CheckRelay(this PaxosGoNode node, RelayedMessages? messages, byte[] attestation)
    {
        if (messages?.Application is null || messages.Payloads is null || messages.Payloads.Length == 0 || messages.Payloads.Length > MaxRelayBatch
            || messages.Payloads.Any(p => p is null))
        {
            throw new ProtocolMessageRejectedException(RejectionCodes.Malformed, $"A Relay carries 1 to {MaxRelayBatch} messages, each with a payload.");
        }

        node.Attestation.Require(attestation, InternalCall.Relay, messages.Application, "", RelayNumber(messages), RelayBody(messages.Payloads));
    }

    // Role, sender and count, in one number: (role << 56) | (sender << 24) | count.
    private static ulong RelayNumber(RelayedMessages messages) =>
        ((ulong)messages.Role << 56) | ((ulong)(uint)messages.From << 24) | (uint)messages.Payloads.Length;

    /// <summary>The payloads as the attestation covers them: each prefixed by its length (int32).</summary>
    private static byte[] RelayBody(byte[][] payloads)
    {
        int size = 0;
        foreach (var p in payloads) size += 4 + p.Length;
        var body = new byte[size];
        var span = body.AsSpan();
        foreach (var p in payloads)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(span, p.Length);
            p.CopyTo(span[4..]);
            span = span[(4 + p.Length)..];
        }

        return body;
    }
}
