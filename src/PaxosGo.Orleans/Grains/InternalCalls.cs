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
    /// <summary>Hands a verified command to this node's proposer.</summary>
    public static Task SubmitToProposer(this PaxosGoNode node, IGrainFactory grains, string application, ClientCommand command) =>
        grains.GetGrain<IProposerGrain>(GrainKeys.For(application, node.Identity.Name))
            .Submit(command, node.Attestation.Attest(InternalCall.Submit, application, command.ClientId, command.RequestId, command.Payload));

    /// <summary>Refuses a command that this node's entry grain did not hand over.</summary>
    public static void CheckSubmit(this PaxosGoNode node, string application, ClientCommand? command, byte[] attestation)
    {
        if (command?.ClientId is null || command.Payload is null)
        {
            throw new ProtocolMessageRejectedException(RejectionCodes.Malformed, "The command is missing a field.");
        }

        node.Attestation.Require(attestation, InternalCall.Submit, application, command.ClientId, command.RequestId, command.Payload);
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
}
