using Orleans.Concurrency;
using PaxosGo.Core;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Hosting;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// The back-end clients' entry point for one application. A stateless worker: it runs on the silo
/// that received the call, verifies the command once (hash, registered client, signature, request
/// id) and hands it to that node's proposer; the result comes from that node's learner.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class ApplicationGrain(PaxosGoNode node) : Grain, IApplicationGrain
{
    /// <inheritdoc />
    public async Task<CommandReply> Submit(SignedCommand command)
    {
        try
        {
            string key = await VerifyAsync(command);
            var result = GrainFactory.GetGrain<ILearnerGrain>(key).WaitForResult(command.ClientId, command.RequestId);
            await GrainFactory.GetGrain<IProposerGrain>(key).Submit(new ClientCommand(command.ClientId, command.RequestId, command.Payload));
            return await result;
        }
        catch (CommandRejectedException e)
        {
            Metrics.CommandsRejected.Add(1, new KeyValuePair<string, object?>("code", e.Code));
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

    /// <summary>Every check the entry node makes before it proposes anything; returns the local grain key.</summary>
    private async Task<string> VerifyAsync(SignedCommand command)
    {
        if (command is null || command.Application is null || command.ClientId is null || command.Payload is null || command.Hash is null || command.Signature is null)
        {
            throw Reject(CommandRejectionCodes.Malformed, "The command is missing a field.");
        }

        if (command.Payload.Length > node.Options.MaxCommandBytes)
        {
            throw Reject(CommandRejectionCodes.Oversized, $"The payload is {command.Payload.Length} bytes; the limit is {node.Options.MaxCommandBytes}.");
        }

        string application = this.GetPrimaryKeyString();
        if (!string.Equals(command.Application, application, StringComparison.Ordinal))
        {
            throw Reject(CommandRejectionCodes.Malformed, $"The command names application '{command.Application}' but was sent to '{application}'.");
        }

        bool admin = command.ClientId == Replica.AdminClientId;
        if (!admin && (command.ClientId.Length != 64 || !command.ClientId.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'))))
        {
            throw Reject(CommandRejectionCodes.Malformed, "The client id must be 64 lowercase hex characters (SHA-256 of the client's public key).");
        }

        if (command.Hash.Length != 32 || command.Signature.Length != 64)
        {
            throw Reject(CommandRejectionCodes.Malformed, "The hash must be 32 bytes and the signature 64.");
        }

        if (!node.Runs(application))
        {
            throw Reject(CommandRejectionCodes.UnknownApplication, $"Application '{application}' is not configured on this cluster (it runs: {string.Join(", ", node.Options.Applications)}).");
        }

        if (!CommandVerification.HashMatches(command))
        {
            throw Reject(CommandRejectionCodes.BadHash, "The hash is not the SHA-256 of the command's canonical encoding.");
        }

        string key = GrainKeys.For(application, node.Identity.Name);
        var client = await GrainFactory.GetGrain<ILearnerGrain>(key).LookupClient(command.ClientId);
        byte[]? publicKey = admin ? node.Options.AdminKeyBytes() : client.PublicKey;
        if (publicKey is null)
        {
            throw await RegisteredElsewhereAsync(command.ClientId, application)
                ? Reject(CommandRejectionCodes.NotRegistered, $"Client {Short(command.ClientId)} is not registered for application '{application}'.")
                : Reject(CommandRejectionCodes.UnknownClient, $"Client {Short(command.ClientId)} is not registered for any application of this cluster.");
        }

        if (!CommandVerification.SignatureVerifies(command, publicKey))
        {
            throw Reject(CommandRejectionCodes.BadSignature, $"The signature does not verify with the registered key of {(admin ? "the administrator" : "client " + Short(command.ClientId))}.");
        }

        if (command.RequestId < client.LastRequestId)
        {
            throw Reject(CommandRejectionCodes.StaleRequest, $"Request {command.RequestId} is older than the client's last executed request {client.LastRequestId}.");
        }

        return key;
    }

    private async Task<bool> RegisteredElsewhereAsync(string clientId, string application)
    {
        foreach (var other in node.Options.Applications)
        {
            if (other == application) continue;
            var info = await GrainFactory.GetGrain<ILearnerGrain>(GrainKeys.For(other, node.Identity.Name)).LookupClient(clientId);
            if (info.PublicKey is not null) return true;
        }

        return false;
    }

    private static CommandRejectedException Reject(string code, string message) => new(code, message);

    private static string Short(string clientId) => clientId.Length > 12 ? clientId[..12] + "…" : clientId;
}
