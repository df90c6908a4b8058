using Orleans.Messaging;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Client;

/// <summary>Client settings.</summary>
public sealed record PaxosGoClientOptions
{
    /// <summary>How long one command may take, retries included, before <see cref="TimeoutException"/>.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one attempt may take before it is retried (through whichever node the next call reaches).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The first pause between attempts; it doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan Backoff { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest pause between attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Whether commands are authenticated with a session MAC (one signed handshake per node, then
    /// about 1 µs per command) instead of an Ed25519 signature each (default: sessions).
    /// </summary>
    public bool UseSessions { get; init; } = true;

    /// <summary>
    /// The cluster's mesh. When set, a node's session grant must be signed by that node's key in the
    /// mesh; when null, the grant is taken on trust from the connection (which is TLS to silos bound to
    /// the mesh: connect the Orleans client with <c>UsePaxosGoTls(key, mesh)</c>).
    /// </summary>
    public Mesh? Mesh { get; init; }

    /// <summary>
    /// Whether session commands go in by the gateway of the session's node when the Orleans client
    /// knows several gateways (default: yes). Such a client sends all calls to one grain through the
    /// gateway it first picked for it, so a command for the leader's node may come in at another node
    /// and cross to the leader and back. With this set, commands go through an
    /// <see cref="IClientEntryGrain"/> alias: the replies say which node's gateway each alias came in by,
    /// and the client tries aliases until one comes in at its session's node, then keeps it (if none
    /// does, as with a client connected to other gateways only, it sends to the node's grain directly).
    /// The entry costs a grain call inside the node, so a client with one gateway sends directly.
    /// </summary>
    public bool EnterAtSessionNode { get; init; } = true;
}

/// <summary>
/// A registered back-end client of one application. It gives each command the next request id and
/// authenticates it: by default with a session opened by a signed handshake with one node (a MAC per
/// command), or with an Ed25519 signature per command. Replies name the leader: the client then
/// moves its session to the leader's node, where commands are proposed without a forward (if that
/// node cannot be reached it stays, and tries again after a pause), and sends them in by that node's
/// gateway (<see cref="PaxosGoClientOptions.EnterAtSessionNode"/>). It retries the same request (same
/// request id) on a timeout or a failure, including when the node it talked to dies (then through a
/// new session with another node): the replicated session table makes the retries execute it exactly
/// once. One command at a time: calls are serialized.
/// </summary>
public sealed class PaxosGoClient : IDisposable
{
    private readonly IGrainFactory _grains;
    private readonly CommandSigner _signer;
    private readonly PaxosGoClientOptions _options;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private ulong _nextRequestId;
    private ClientSession? _session;
    private string? _leader; // the leader the last reply named, when the session is with another node
    private DateTime _noMoveUntil; // after a failed move, stay where we are for a while
    private readonly Dictionary<string, int> _entryAt = new(StringComparer.Ordinal); // node → an entry alias that came in by its gateway
    private int _nextAlias; // the entry alias to try next
    private int _aliasesTried; // aliases tried since one last came in at the session's node
    private bool? _severalGateways; // whether the Orleans client knows more than one gateway (null: not asked yet)

    /// <summary>Creates a client.</summary>
    /// <param name="grains">An Orleans client connected to the cluster (<c>clientBuilder.UsePaxosGoTls(key, mesh)</c>, with a registered key or the administrator's).</param>
    /// <param name="application">The application.</param>
    /// <param name="signer">The client's signer (<c>new CommandSigner(key)</c>).</param>
    /// <param name="firstRequestId">
    /// The first request id; by default the current Unix time in microseconds, so a restarted client
    /// keeps increasing without remembering anything (its clock must not go back).
    /// </param>
    /// <param name="options">Retry settings.</param>
    public PaxosGoClient(IGrainFactory grains, string application, CommandSigner signer, ulong? firstRequestId = null, PaxosGoClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentException.ThrowIfNullOrWhiteSpace(application);
        ArgumentNullException.ThrowIfNull(signer);
        _grains = grains;
        Application = application;
        _signer = signer;
        _options = options ?? new PaxosGoClientOptions();
        _nextRequestId = firstRequestId ?? (ulong)(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() * 1000);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _oneAtATime.Dispose();
        _session?.Dispose();
    }

    /// <summary>The node of the current session (null when none is open).</summary>
    public string? SessionNode => _session?.Node;

    /// <summary>The application this client writes to.</summary>
    public string Application { get; }

    /// <summary>The client id (hex SHA-256 of the public key).</summary>
    public string ClientId => _signer.ClientId;

    /// <summary>Signs <paramref name="payload"/> as the next request and sends it until it commits.</summary>
    /// <exception cref="CommandRejectedException">The cluster refused the command (never retried: it would be refused again).</exception>
    /// <exception cref="TimeoutException">No node committed it within <see cref="PaxosGoClientOptions.Timeout"/>; it may still commit, once.</exception>
    public async Task<CommandReply> SubmitAsync(byte[] payload, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(payload);
        await _oneAtATime.WaitAsync(cancellation);
        try
        {
            ulong requestId = _nextRequestId++;
            if (!_options.UseSessions) return await SendAsync(_grains, _signer.Sign(Application, requestId, payload), _options, cancellation);
            return await SendInSessionAsync(requestId, payload, cancellation);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>Closes the current session, if any (best effort: an unused session also expires on its own).</summary>
    public async Task CloseSessionAsync()
    {
        await _oneAtATime.WaitAsync();
        try
        {
            if (_session is not { } session) return;
            _session = null;
            await CloseQuietlyAsync(session);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<CommandReply> SendInSessionAsync(ulong requestId, byte[] payload, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + _options.Timeout;
        var backoff = _options.Backoff;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                var session = await CurrentSessionAsync(cancellation);
                var reply = await SubmitAtAsync(session.Node, session.Authenticate(requestId, payload), cancellation);
                _leader = reply.Leader is { } leader && leader != session.Node ? leader : null;
                return reply;
            }
            catch (CommandRejectedException e) when (e.Code == CommandRejectionCodes.UnknownSession)
            {
                // The node lost the session (restart, expiry, eviction): a new one, the same request.
                DropSession();
                last = e;
                continue;
            }
            catch (Exception e) when (e is not CommandRejectedException && e is not OperationCanceledException && e is not System.Security.Cryptography.CryptographicException)
            {
                // The node may be down or slow: a new session, maybe with another node, and the same request.
                DropSession();
                last = e;
            }

            await Task.Delay(backoff, cancellation);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
        }

        throw new TimeoutException(
            $"Request {requestId} of client {ClientId} was not confirmed within {_options.Timeout.TotalSeconds:0} s; retrying it with the same request id is safe.", last);
    }

    /// <summary>
    /// Sends a session command to <paramref name="node"/>: through the entry alias known to come in at
    /// that node's gateway, or the next one to try (<see cref="PaxosGoClientOptions.EnterAtSessionNode"/>),
    /// else straight to the node's <see cref="IClientGatewayGrain"/>.
    /// </summary>
    private async Task<CommandReply> SubmitAtAsync(string node, SessionCommand command, CancellationToken cancellation)
    {
        _severalGateways ??= await SeveralGatewaysAsync();
        int alias = !_options.EnterAtSessionNode || _severalGateways == false ? -1
            : _entryAt.TryGetValue(node, out int known) ? known
            : _aliasesTried < IClientEntryGrain.Aliases ? _nextAlias
            : -1;
        if (alias < 0)
        {
            return await _grains.GetGrain<IClientGatewayGrain>(GrainKeys.For(Application, node)).Submit(command).WaitAsync(_options.AttemptTimeout, cancellation);
        }

        CommandReply reply;
        try
        {
            reply = await _grains.GetGrain<IClientEntryGrain>($"{Application}/{alias}").Submit(node, command).WaitAsync(_options.AttemptTimeout, cancellation);
        }
        catch (Exception e) when (e is not CommandRejectedException && e is not OperationCanceledException)
        {
            // Its gateway may be the node that is down or slow: the next attempt tries another alias.
            MoveOnFrom(alias);
            throw;
        }

        if (reply.EnteredAt is { } enteredAt)
        {
            if (enteredAt == node)
            {
                Forget(alias);
                _aliasesTried = 0;
            }
            else
            {
                MoveOnFrom(alias);
            }

            _entryAt[enteredAt] = alias; // one alias comes in at one gateway (until the Orleans client picks anew for it)
        }

        return reply;
    }

    // The alias did not come in at the session's node: forget where it went, try the next one next time.
    private void MoveOnFrom(int alias)
    {
        Forget(alias);
        _aliasesTried++;
        _nextAlias = (alias + 1) % IClientEntryGrain.Aliases;
    }

    private void Forget(int alias)
    {
        foreach (var node in _entryAt.Where(e => e.Value == alias).Select(e => e.Key).ToList()) _entryAt.Remove(node);
    }

    // Whether the Orleans client has more than one gateway to choose from (when it cannot say: yes).
    private async Task<bool> SeveralGatewaysAsync()
    {
        if (_grains is not IClusterClient client || client.ServiceProvider.GetService(typeof(IGatewayListProvider)) is not IGatewayListProvider gateways) return true;
        try
        {
            return (await gateways.GetGateways()).Count > 1;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return true;
        }
    }

    /// <summary>
    /// The session to send through: the open one, unless the last reply named another node as the
    /// leader, in which case a session with the leader (so that commands enter where they are
    /// proposed, with no forward). If the leader cannot be reached, the open session stays.
    /// </summary>
    private async Task<ClientSession> CurrentSessionAsync(CancellationToken cancellation)
    {
        if (_leader is { } leader && DateTime.UtcNow >= _noMoveUntil)
        {
            _leader = null;
            try
            {
                var moved = await OpenSessionAsync(_grains.GetGrain<IClientGatewayGrain>(GrainKeys.For(Application, leader)).OpenSession, cancellation);
                if (_session is { } old) _ = CloseQuietlyAsync(old);
                _session = moved;
                _aliasesTried = 0; // look for an entry at the new node
            }
            catch (Exception e) when (e is not OperationCanceledException && e is not CommandRejectedException && e is not System.Security.Cryptography.CryptographicException)
            {
                // The hinted leader is unreachable or slow: stay where we are, and do not try again at
                // once (each try may cost an attempt timeout).
                _noMoveUntil = DateTime.UtcNow + _options.MaxBackoff + _options.AttemptTimeout;
            }
        }

        return _session ??= await OpenSessionAsync(_grains.GetGrain<IApplicationGrain>(Application).OpenSession, cancellation);
    }

    private async Task<ClientSession> OpenSessionAsync(Func<SessionRequest, Task<SessionGrant>> open, CancellationToken cancellation)
    {
        var (ephemeral, request) = ClientSession.Begin(_signer, Application);
        using (ephemeral)
        {
            var grant = await open(request).WaitAsync(_options.AttemptTimeout, cancellation);
            return ClientSession.Complete(ephemeral, request, grant, _options.Mesh);
        }
    }

    private async Task CloseQuietlyAsync(ClientSession session)
    {
        using (session)
        {
            try
            {
                await _grains.GetGrain<IClientGatewayGrain>(GrainKeys.For(Application, session.Node))
                    .CloseSession(session.SessionId, session.CloseMac()).WaitAsync(_options.AttemptTimeout);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // The node is gone or slow: the session expires there on its own.
            }
        }
    }

    private void DropSession()
    {
        _session?.Dispose();
        _session = null;
    }

    /// <summary>Sends an already signed command until it commits, retrying the same command on every failure but a rejection.</summary>
    public static async Task<CommandReply> SendAsync(IGrainFactory grains, SignedCommand command, PaxosGoClientOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(command);
        options ??= new PaxosGoClientOptions();
        var deadline = DateTime.UtcNow + options.Timeout;
        var backoff = options.Backoff;
        Exception? last = null;
        var application = grains.GetGrain<IApplicationGrain>(command.Application);
        while (DateTime.UtcNow < deadline)
        {
            cancellation.ThrowIfCancellationRequested();
            try
            {
                return await application.Submit(command).WaitAsync(options.AttemptTimeout, cancellation);
            }
            catch (Exception e) when (e is not CommandRejectedException && e is not OperationCanceledException)
            {
                last = e; // the node may be down or slow: the same command again, maybe through another node
            }

            await Task.Delay(backoff, cancellation);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxBackoff.Ticks));
        }

        throw new TimeoutException(
            $"Request {command.RequestId} of client {command.ClientId} was not confirmed within {options.Timeout.TotalSeconds:0} s; retrying it with the same request id is safe.", last);
    }
}
