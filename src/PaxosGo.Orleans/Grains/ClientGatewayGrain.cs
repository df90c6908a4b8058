using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Placement;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// One node's entry point for session-authenticated commands of one application (key
/// <c>{application}/{node}</c>), pinned to the node whose <see cref="ClientSessionTable"/> holds the
/// sessions it opened. Checks the session MAC where the signed path checks the signature; the other
/// checks and their order are the same (<see cref="CommandGate"/>).
/// </summary>
[NodePinnedPlacement]
[GrainDirectory(PinnedGrainDirectory.Name)]
[Immovable(ImmovableKind.Any)]
[Reentrant]
public sealed class ClientGatewayGrain(PaxosGoNode node, ClientSessionTable sessions) : Grain, IClientGatewayGrain, IPaxosGoGrain
{
    private CommandGate? _gate;

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var (application, name) = GrainKeys.Parse(this.GetPrimaryKeyString());
        if (!string.Equals(name, node.Identity.Name, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"The client gateway of '{application}' for node '{name}' was placed on node '{node.Identity.Name}'; pinned grains run only on their node.");
        }

        _gate = new CommandGate(node, GrainFactory, application);
        return base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<CommandReply> Submit(SessionCommand command)
    {
        var gate = _gate!;
        try
        {
            if (command is null) throw CommandGate.Reject(CommandRejectionCodes.Malformed, "The command is missing.");
            gate.CheckFields(command.Application, command.ClientId, command.RequestId, command.Payload, command.Hash);
            CommandGate.CheckNotAdministrator(command.ClientId);
            if (command.SessionId is not { Length: SessionHandshake.SessionIdLength } || command.Mac is not { Length: SessionHandshake.MacLength })
            {
                throw CommandGate.Reject(CommandRejectionCodes.Malformed, $"The session id must be {SessionHandshake.SessionIdLength} bytes and the MAC {SessionHandshake.MacLength}.");
            }

            var session = sessions.Find(command.SessionId)
                ?? throw CommandGate.Reject(CommandRejectionCodes.UnknownSession, $"Node '{node.Identity.Name}' holds no such session (expired, evicted, closed, or the node restarted): open a new session and send the same request again.");
            if (session.Application != command.Application || session.ClientId != command.ClientId || !MacVerifies(session, command))
            {
                throw CommandGate.Reject(CommandRejectionCodes.BadMac, "The MAC does not verify with the session's key for this client and application.");
            }

            // The learner checks registration and the request id against the replica, then proposes.
            return await ProposeOrCloseAsync(gate, command);
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
            return await _gate!.OpenSessionAsync(request, sessions);
        }
        catch (CommandRejectedException e)
        {
            CommandGate.Count(e);
            throw;
        }
    }

    /// <inheritdoc />
    public Task CloseSession(byte[] sessionId, byte[] mac)
    {
        // Only the holder of the session key may close it; anything else changes nothing.
        if (sessionId is not null && mac is not null && sessions.Find(sessionId) is { } session)
        {
            try
            {
                if (SessionHandshake.MacVerifies(session.Key, sessionId, SessionHandshake.CloseHash, mac)) sessions.Close(sessionId);
            }
            catch (ObjectDisposedException)
            {
                // Already evicted.
            }
        }

        return Task.CompletedTask;
    }

    private static bool MacVerifies(ClientSessionTable.Entry session, SessionCommand command)
    {
        try
        {
            return SessionHandshake.MacVerifies(session.Key, command.SessionId, command.Hash, command.Mac);
        }
        catch (ObjectDisposedException)
        {
            // Evicted while we looked: as if it were never found.
            throw CommandGate.Reject(CommandRejectionCodes.UnknownSession, "The session was evicted: open a new session and send the same request again.");
        }
    }

    private async Task<CommandReply> ProposeOrCloseAsync(CommandGate gate, SessionCommand command)
    {
        try
        {
            return await gate.ProposeAsync(command.ClientId, command.RequestId, command.Payload);
        }
        catch (CommandRejectedException e) when (e.Code is CommandRejectionCodes.UnknownClient or CommandRejectionCodes.NotRegistered)
        {
            // Revoked since the session opened: its sessions end here, on this node.
            sessions.CloseClient(command.Application, command.ClientId);
            throw;
        }
    }
}
