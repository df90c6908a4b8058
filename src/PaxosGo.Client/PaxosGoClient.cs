using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;

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
}

/// <summary>
/// A registered back-end client of one application. It signs each command with the client's key,
/// gives it the next request id, and retries the very same signed command (same request id) on a
/// timeout or a failure, including when the node it talked to dies: the cluster's session table
/// makes the retries execute it exactly once. One command at a time: calls are serialized.
/// </summary>
public sealed class PaxosGoClient : IDisposable
{
    private readonly IGrainFactory _grains;
    private readonly CommandSigner _signer;
    private readonly PaxosGoClientOptions _options;
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);
    private ulong _nextRequestId;

    /// <summary>Creates a client.</summary>
    /// <param name="grains">An Orleans client connected to the cluster.</param>
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
    public void Dispose() => _oneAtATime.Dispose();

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
            var command = _signer.Sign(Application, _nextRequestId++, payload);
            return await SendAsync(_grains, command, _options, cancellation);
        }
        finally
        {
            _oneAtATime.Release();
        }
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
