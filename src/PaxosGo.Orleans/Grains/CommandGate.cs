using PaxosGo.Core;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Hosting;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// The checks an entry node makes before it proposes a client's command, in this order: shape and
/// size, application, hash, authenticator (signature or session MAC, by the caller), registration,
/// request id. Each failure is a <see cref="CommandRejectedException"/> with its code, and counted.
/// </summary>
internal sealed class CommandGate(PaxosGoNode node, IGrainFactory grains, string application)
{
    /// <summary>The application the entry grain serves.</summary>
    public string Application => application;

    /// <summary>This node's pinned grain key for the application.</summary>
    public string LocalKey => GrainKeys.For(application, node.Identity.Name);

    /// <summary>Shape, size, application and hash: everything that needs no lookup.</summary>
    public void CheckFields(string? commandApplication, string? clientId, ulong requestId, byte[]? payload, byte[]? hash)
    {
        if (commandApplication is null || clientId is null || payload is null || hash is null)
        {
            throw Reject(CommandRejectionCodes.Malformed, "The command is missing a field.");
        }

        if (payload.Length > node.Options.MaxCommandBytes)
        {
            throw Reject(CommandRejectionCodes.Oversized, $"The payload is {payload.Length} bytes; the limit is {node.Options.MaxCommandBytes}.");
        }

        if (!string.Equals(commandApplication, application, StringComparison.Ordinal))
        {
            throw Reject(CommandRejectionCodes.Malformed, $"The command names application '{commandApplication}' but was sent to '{application}'.");
        }

        CheckClientId(clientId);
        if (hash.Length != 32)
        {
            throw Reject(CommandRejectionCodes.Malformed, "The hash must be 32 bytes.");
        }

        CheckApplication();
        if (!CryptographicEquals(CommandEncoding.Hash(commandApplication, clientId, requestId, payload), hash))
        {
            throw Reject(CommandRejectionCodes.BadHash, "The hash is not the SHA-256 of the command's canonical encoding.");
        }
    }

    /// <summary>A client id is the administrator's or 64 lowercase hex characters.</summary>
    public static void CheckClientId(string clientId)
    {
        if (clientId != Replica.AdminClientId && (clientId.Length != 64 || !clientId.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'))))
        {
            throw Reject(CommandRejectionCodes.Malformed, "The client id must be 64 lowercase hex characters (SHA-256 of the client's public key).");
        }
    }

    /// <summary>The cluster runs the application.</summary>
    public void CheckApplication()
    {
        if (!node.Runs(application))
        {
            throw Reject(CommandRejectionCodes.UnknownApplication, $"Application '{application}' is not configured on this cluster (it runs: {string.Join(", ", node.Options.Applications)}).");
        }
    }

    /// <summary>
    /// The client's registered key (the administrator's key for <see cref="Replica.AdminClientId"/>)
    /// and last executed request id, from this node's replica; rejects an unregistered client. A
    /// client this replica does not know yet may have been registered by a command it has not applied:
    /// the node first passes a read barrier through Paxos (shared with concurrent reads, bounded by
    /// the result timeout) and looks again, so a client whose registration committed can submit
    /// through any node at once ("read your registration").
    /// </summary>
    public async Task<(byte[] PublicKey, ulong LastRequestId)> RegisteredAsync(string clientId)
    {
        bool admin = clientId == Replica.AdminClientId;
        var client = await node.LookupClient(grains, application, clientId);
        if (!admin && client.PublicKey is null)
        {
            try
            {
                await grains.GetGrain<ILearnerGrain>(LocalKey).ReadLinearizable();
                client = await node.LookupClient(grains, application, clientId);
            }
            catch (TimeoutException)
            {
                // No leader within the timeout: answer from what this replica has.
            }
        }

        byte[]? publicKey = admin ? node.AdminPublicKey : client.PublicKey;
        if (publicKey is not null) return (publicKey, client.LastRequestId);
        throw await UnregisteredAsync(clientId);
    }

    /// <summary>The rejection of a client this application's replica does not know: <c>not-registered</c> when another application of the node knows it, else <c>unknown-client</c>.</summary>
    public async Task<CommandRejectedException> UnregisteredAsync(string clientId) =>
        await RegisteredElsewhereAsync(clientId)
            ? Reject(CommandRejectionCodes.NotRegistered, $"Client {Short(clientId)} is not registered for application '{application}'.")
            : Reject(CommandRejectionCodes.UnknownClient, $"Client {Short(clientId)} is not registered for any application of this cluster.");

    /// <summary>The request id is not older than the client's last executed one.</summary>
    public static void CheckFresh(ulong requestId, ulong lastRequestId)
    {
        if (requestId < lastRequestId)
        {
            throw Reject(CommandRejectionCodes.StaleRequest, $"Request {requestId} is older than the client's last executed request {lastRequestId}.");
        }
    }

    /// <summary>
    /// Hands a verified command to this node's learner (attested by this node: no other path puts a
    /// client command into a log), which checks it against the replica, proposes it through this
    /// node's proposer, and answers once the replica applied it.
    /// </summary>
    public Task<Grains.CommandReply> ProposeAsync(string clientId, ulong requestId, byte[] payload) =>
        node.Admit(grains, application, new ClientCommand(clientId, requestId, payload));

    /// <summary>Administrative commands are signed: they cannot go through a session (whose MAC no replica could check).</summary>
    public static void CheckNotAdministrator(string clientId)
    {
        if (clientId == Replica.AdminClientId)
        {
            throw Reject(CommandRejectionCodes.Malformed, "Administrative commands must be signed with the administrator's key (IApplicationGrain.Submit), not sent in a session.");
        }
    }

    /// <summary>
    /// An administrative command's body is a registration whose client id is the hex SHA-256 of its
    /// 32-byte key; returns the payload the log carries: the body with the administrator's signature,
    /// which every replica checks again when it applies it.
    /// </summary>
    public static byte[] AdministrativePayload(byte[] body, byte[] signature)
    {
        if (ClientRegistration.TryDecode(body) is not { } registration)
        {
            throw Reject(CommandRejectionCodes.Malformed, "The administrative command's payload is not a client registration or revocation.");
        }

        if (!registration.IsWellFormed)
        {
            throw Reject(
                CommandRejectionCodes.Malformed,
                $"A registration must name its client by the hex SHA-256 of its {ClientRegistration.PublicKeyLength}-byte public key; '{Short(registration.ClientId)}' is not that.");
        }

        return AdministrativeCommand.Wrap(body, signature);
    }

    /// <summary>
    /// Opens a session with this node: the request is well formed and names this application, the
    /// client is registered (read your registration, as for commands) and signed the request; the
    /// session key goes into this node's <paramref name="sessions"/> and the node signs the grant.
    /// </summary>
    public async Task<SessionGrant> OpenSessionAsync(SessionRequest? request, ClientSessionTable sessions)
    {
        if (request is null || request.Application is null || request.ClientId is null || request.ClientEphemeral is null || request.Signature is null)
        {
            throw Reject(CommandRejectionCodes.Malformed, "The session request is missing a field.");
        }

        if (!string.Equals(request.Application, application, StringComparison.Ordinal))
        {
            throw Reject(CommandRejectionCodes.Malformed, $"The session request names application '{request.Application}' but was sent to '{application}'.");
        }

        CheckClientId(request.ClientId);
        CheckNotAdministrator(request.ClientId);
        if (request.ClientEphemeral.Length != SessionHandshake.EphemeralLength || request.Signature.Length != 64)
        {
            throw Reject(CommandRejectionCodes.Malformed, "The ephemeral key must be 32 bytes and the signature 64.");
        }

        CheckApplication();
        var (publicKey, _) = await RegisteredAsync(request.ClientId);
        byte[] transcript = SessionHandshake.RequestTranscript(request.Application, request.ClientId, request.ClientEphemeral);
        if (!SessionHandshake.SignatureVerifies(publicKey, transcript, request.Signature))
        {
            throw Reject(CommandRejectionCodes.BadSignature, $"The session request's signature does not verify with the registered key of client {Short(request.ClientId)}.");
        }

        var grant = sessions.Open(request, node.Identity)
            ?? throw Reject(CommandRejectionCodes.Malformed, "The ephemeral key is not a usable X25519 public key.");
        Metrics.SessionsOpened.Add(1);
        return grant;
    }

    /// <summary>A rejection with its code; counted when it reaches <see cref="Count"/>.</summary>
    public static CommandRejectedException Reject(string code, string message) => new(code, message);

    /// <summary>Counts a rejection in the <c>paxosgo.commands.rejected</c> metric.</summary>
    public static void Count(CommandRejectedException e) =>
        Metrics.CommandsRejected.Add(1, new KeyValuePair<string, object?>("code", e.Code));

    /// <summary>A client id shortened for messages.</summary>
    public static string Short(string clientId) => clientId.Length > 12 ? clientId[..12] + "…" : clientId;

    private static bool CryptographicEquals(byte[] a, byte[] b) => System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(a, b);

    private async Task<bool> RegisteredElsewhereAsync(string clientId)
    {
        foreach (var other in node.Options.Applications)
        {
            if (other == application) continue;
            var info = await node.LookupClient(grains, other, clientId);
            if (info.PublicKey is not null) return true;
        }

        return false;
    }
}
