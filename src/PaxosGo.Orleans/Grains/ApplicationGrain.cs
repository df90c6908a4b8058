using Orleans.Concurrency;
using Orleans.GrainDirectory;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Placement;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// The back-end clients' entry point for one application. A stateless worker: it runs on the silo
/// that received the call, verifies a signed command once (<see cref="CommandGate"/>) and hands it to
/// that node's proposer; the result comes from that node's learner. It also opens sessions, kept in
/// that silo's <see cref="ClientSessionTable"/>; their commands go to the node's <see cref="IClientGatewayGrain"/> (its learner).
/// </summary>
[StatelessWorker]
[Reentrant]
// Placement looks every target grain up in its type's directory first, even a stateless worker that
// is never registered: with Orleans' default directory that lookup goes to whichever silo owns the
// entry on the hash ring, so a frozen third node stalled signed commands between two live ones for
// the placement timeout (30 s). The pinned directory answers from this silo.
[GrainDirectory(PinnedGrainDirectory.Name)]
public sealed class ApplicationGrain(PaxosGoNode node, ClientSessionTable sessions) : Grain, IApplicationGrain, IPaxosGoGrain
{
    private CommandGate Gate => new(node, GrainFactory, this.GetPrimaryKeyString());

    /// <inheritdoc />
    public async Task<CommandReply> Submit(SignedCommand command)
    {
        var gate = Gate;
        try
        {
            if (command is null) throw CommandGate.Reject(CommandRejectionCodes.Malformed, "The command is missing.");
            gate.CheckFields(command.Application, command.ClientId, command.RequestId, command.Payload, command.Hash);
            if (command.Signature is not { Length: 64 })
            {
                throw CommandGate.Reject(CommandRejectionCodes.Malformed, "The signature must be 64 bytes.");
            }

            var (publicKey, lastRequestId) = await gate.RegisteredAsync(command.ClientId);
            if (!CommandVerification.SignatureVerifies(command, publicKey))
            {
                throw CommandGate.Reject(
                    CommandRejectionCodes.BadSignature,
                    $"The signature does not verify with the registered key of {(command.ClientId == PaxosGo.Core.Replica.AdminClientId ? "the administrator" : "client " + CommandGate.Short(command.ClientId))}.");
            }

            CommandGate.CheckFresh(command.RequestId, lastRequestId);
            byte[] payload = command.ClientId == PaxosGo.Core.Replica.AdminClientId
                ? CommandGate.AdministrativePayload(command.Payload, command.Signature)
                : command.Payload;
            return await gate.ProposeAsync(command.ClientId, command.RequestId, payload);
        }
        catch (CommandRejectedException e)
        {
            CommandGate.Count(e);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<SessionGrant> OpenSession(SessionRequest request)
    {
        try
        {
            return await Gate.OpenSessionAsync(request, sessions);
        }
        catch (CommandRejectedException e)
        {
            CommandGate.Count(e);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<ulong> GetState()
    {
        string application = this.GetPrimaryKeyString();
        if (!node.Runs(application))
        {
            throw new UnknownApplicationException($"Application '{application}' is not configured on this cluster (it runs: {string.Join(", ", node.Options.Applications)}).");
        }

        var status = await GrainFactory.GetGrain<ILearnerGrain>(GrainKeys.For(application, node.Identity.Name)).GetStatus();
        return status.State;
    }
}
