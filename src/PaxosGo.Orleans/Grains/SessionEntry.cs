using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Hosting;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// The session path into one application on one node: opens and closes sessions in the node's
/// <see cref="ClientSessionTable"/> and checks each session command (shape, size, application,
/// hash, session, MAC), in the order and with the codes of <see cref="CommandGate"/>, before it hands
/// the command to the replica's admission. It runs inside the node's <see cref="LearnerGrain"/> of the
/// application, which is the <see cref="IClientGatewayGrain"/>: a verified command reaches the replica
/// and the proposer with no further grain call.
/// </summary>
/// <param name="node">This node.</param>
/// <param name="sessions">The node's session table.</param>
/// <param name="gate">The application's entry checks.</param>
/// <param name="admit">What a verified command goes to: the replica's admission (registration, request id, proposal, result).</param>
internal sealed class SessionEntry(PaxosGoNode node, ClientSessionTable sessions, CommandGate gate, Func<ClientCommand, Task<CommandReply>> admit)
{
    /// <summary>
    /// Verifies <paramref name="command"/> and, if it passes, returns what the admission returns for
    /// it. A rejection is counted and thrown.
    /// </summary>
    public async Task<CommandReply> SubmitAsync(SessionCommand? command)
    {
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

            try
            {
                return await admit(new ClientCommand(command.ClientId, command.RequestId, command.Payload));
            }
            catch (CommandRejectedException e) when (e.Code is CommandRejectionCodes.UnknownClient or CommandRejectionCodes.NotRegistered)
            {
                // Revoked since the session opened: its sessions end here, on this node.
                sessions.CloseClient(command.Application, command.ClientId);
                throw;
            }
        }
        catch (CommandRejectedException e)
        {
            CommandGate.Count(e);
            throw;
        }
    }

    /// <summary>Opens a session with this node (<see cref="CommandGate.OpenSessionAsync"/>); a rejection is counted and thrown.</summary>
    public async Task<SessionGrant> OpenAsync(SessionRequest? request)
    {
        try
        {
            return await gate.OpenSessionAsync(request, sessions);
        }
        catch (CommandRejectedException e)
        {
            CommandGate.Count(e);
            throw;
        }
    }

    /// <summary>Closes a session if <paramref name="mac"/> is its close MAC (only the holder of the session key can make it); anything else changes nothing.</summary>
    public void Close(byte[]? sessionId, byte[]? mac)
    {
        if (sessionId is null || mac is null || sessions.Find(sessionId) is not { } session) return;
        try
        {
            if (SessionHandshake.MacVerifies(session.Key, sessionId, SessionHandshake.CloseHash, mac)) sessions.Close(sessionId);
        }
        catch (ObjectDisposedException)
        {
            // Already evicted.
        }
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
}
