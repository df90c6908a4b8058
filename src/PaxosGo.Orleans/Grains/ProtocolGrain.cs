using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PaxosGo.Core;
using PaxosGo.Core.Hosting;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Identity;
using PaxosGo.Orleans.Transport;
using PaxosGo.Orleans.Wire;

namespace PaxosGo.Orleans.Grains;

/// <summary>
/// The thin adapter between Orleans and a protocol engine of the core. Every input (a verified
/// message, a tick, a local request) goes into one inbox; a single pump drains it in batches and
/// follows the core's host contract (<see cref="EngineHost"/>), the one the simulator follows too:
/// step the engine's host with the batch, carry out the <see cref="Ready"/> it returns (answer
/// clients, persist with one write, only then send and notify this node's proposer), then advance.
/// Grains are reentrant so that inputs keep arriving while a write is in flight; only the pump
/// touches the engine.
/// </summary>
public abstract class ProtocolGrain : Grain, IProtocolGrain
{
    private readonly Queue<object> _inbox = new();
    private long _started;
    private bool _pumping;
    private bool _tickQueued;
    private bool _failed;
    private NodeLinks? _links;
    private IGrainTimer? _timer;
    private long _armedAt = long.MaxValue; // when the timer fires next (protocol time); MaxValue: off

    /// <summary>Creates the grain for this silo's node.</summary>
    protected ProtocolGrain(PaxosGoNode node, ILogger logger)
    {
        Node = node;
        Logger = logger;
    }

    /// <summary>This silo's node.</summary>
    protected PaxosGoNode Node { get; }

    /// <summary>The grain's logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>Whether the engine failed (its state may be ahead of storage): the grain takes no more inputs and deactivates.</summary>
    protected bool Failed => _failed;

    /// <summary>The application this grain serves.</summary>
    protected string Application { get; private set; } = "";

    /// <summary>The role of the engine behind this grain.</summary>
    protected abstract Role Role { get; }

    /// <summary>The current time in protocol ticks since activation.</summary>
    protected long Now => (long)(Stopwatch.GetElapsedTime(_started) / Node.Options.Tick);

    /// <inheritdoc />
    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _started = Stopwatch.GetTimestamp();
        var (application, node) = GrainKeys.Parse(this.GetPrimaryKeyString());
        // A pinned grain must run on its own node: elsewhere it would sign as another node.
        if (!string.Equals(node, Node.Identity.Name, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"The {Role} of '{application}' for node '{node}' was placed on node '{Node.Identity.Name}'; pinned grains run only on their node.");
        }

        if (!Node.Runs(application))
        {
            throw new UnknownApplicationException($"Application '{application}' is not configured on this cluster.");
        }

        Application = application;
        _links = ServiceProvider.GetRequiredService<NodeLinks>();
        Metrics.GrainsActivated.Add(1, new KeyValuePair<string, object?>("role", Role.ToString()), new KeyValuePair<string, object?>("node", node));
        return base.OnActivateAsync(cancellationToken);
    }

    /// <inheritdoc />
    public Task Deliver(SignedEnvelope envelope)
    {
        Guard(() => Accept(envelope));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Post(SignedEnvelope envelope)
    {
        Guard(() => Accept(envelope));
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task Relay(RelayedMessages messages, byte[] attestation)
    {
        Guard(() => AcceptRelayed(messages, attestation));
        return Task.CompletedTask;
    }

    /// <summary>Runs a check of an incoming call; a refusal is counted (by code) and thrown to the caller.</summary>
    protected static void Guard(Action check)
    {
        ArgumentNullException.ThrowIfNull(check);
        try
        {
            check();
        }
        catch (ProtocolMessageRejectedException e)
        {
            Metrics.MessagesRejected.Add(1, new KeyValuePair<string, object?>("code", e.Code));
            throw;
        }
    }

    private void Accept(SignedEnvelope envelope)
    {
        Metrics.EnvelopeSignatures.Add(1, new KeyValuePair<string, object?>("op", CheckKind(envelope, Node.Self.Value)));
        Node.Verifier.Verify(envelope, Node.Self.Value, Role, Application);
        Message message;
        try
        {
            message = WireCodec.DecodeMessage(envelope.Payload);
        }
        catch (WireFormatException e)
        {
            throw new ProtocolMessageRejectedException(RejectionCodes.Malformed, $"Malformed protocol message from node {envelope.From}: {e.Message}");
        }

        // The signed sender must be the sender the message claims: no node speaks for another.
        if (message.From.Value != envelope.From)
        {
            throw new ProtocolMessageRejectedException(
                RejectionCodes.Misdirected, $"Envelope from node {envelope.From} carries a message claiming to be from node {message.From.Value}.");
        }

        Enqueue(message);
    }

    // Messages another node sent in a link batch that this node's link grain verified: the grain only
    // checks the link's attestation (an HMAC), then each message's claimed sender.
    private void AcceptRelayed(RelayedMessages messages, byte[] attestation)
    {
        Node.CheckRelay(messages, attestation);
        Metrics.EnvelopeSignatures.Add(1, new KeyValuePair<string, object?>("op", "local-check"));
        if (messages.Role != (byte)Role || !string.Equals(messages.Application, Application, StringComparison.Ordinal))
        {
            throw new ProtocolMessageRejectedException(
                RejectionCodes.Misdirected,
                $"Messages for role {messages.Role}, application '{messages.Application}' were relayed to the {Role} of '{Application}'.");
        }

        foreach (var payload in messages.Payloads)
        {
            Message message;
            try
            {
                message = WireCodec.DecodeMessage(payload);
            }
            catch (WireFormatException)
            {
                Metrics.MessagesRejected.Add(1, new KeyValuePair<string, object?>("code", RejectionCodes.Malformed));
                continue;
            }

            // The link checked who signed the batch: no node speaks for another inside it either.
            if (message.From.Value != messages.From)
            {
                Metrics.MessagesRejected.Add(1, new KeyValuePair<string, object?>("code", RejectionCodes.Misdirected));
                continue;
            }

            Enqueue(message);
        }
    }

    /// <summary>What checking <paramref name="envelope"/> costs: a local seal (from this node itself) or a signature.</summary>
    private static string CheckKind(SignedEnvelope? envelope, int self) => envelope is not null && envelope.From == self ? "local-check" : "verify";

    /// <summary>Queues an input for the pump and starts the pump if it is idle.</summary>
    protected void Enqueue(object input)
    {
        if (_failed) return; // deactivating: inputs are lost, and the protocol retries them
        _inbox.Enqueue(input);
        if (_pumping) return;
        _pumping = true;
        _ = PumpAsync();
    }

    /// <summary>
    /// Starts the grain's timer: it wakes the pump only when the engine has something timed to do
    /// (<see cref="EngineHost.NextDeadline"/>, or the grain's own <see cref="LocalDeadline"/>), at most
    /// every <see cref="PaxosGoOptions.TimerPeriod"/>; an idle grain is never woken. Every turn of the
    /// pump starts with a <see cref="Tick"/> of the current time, whatever woke it.
    /// </summary>
    protected void StartTicking()
    {
        _timer = this.RegisterGrainTimer(
            () =>
            {
                _armedAt = long.MaxValue;
                if (!_tickQueued)
                {
                    _tickQueued = true;
                    Enqueue(TickInput.Instance);
                }

                return Task.CompletedTask;
            },
            new GrainTimerCreationOptions(Node.Options.TimerPeriod, Timeout.InfiniteTimeSpan) { Interleave = true });
        _armedAt = 0;
    }

    /// <summary>The earliest protocol time (see <see cref="Now"/>) at which the grain itself needs a tick; <see cref="long.MaxValue"/> for none.</summary>
    protected virtual long LocalDeadline => long.MaxValue;

    // Arms the timer for the engine's next deadline, unless it already fires as early (an early
    // wake-up is harmless: its turn arms the timer again).
    private void ArmTimer()
    {
        if (_timer is null || _failed) return;
        long deadline = Math.Min(Host!.NextDeadline, LocalDeadline);
        if (deadline == long.MaxValue) return; // nothing timed: the timer stays off (a later turn arms it)
        long now = Now;
        var period = Node.Options.TimerPeriod;
        var tick = Node.Options.Tick;
        long ahead = Math.Clamp(deadline - now, 0, (long)(TimeSpan.FromHours(1) / tick)); // a far deadline: look again in an hour
        var due = TimeSpan.FromTicks(Math.Max(period.Ticks, ahead * tick.Ticks));
        long fireAt = now + (long)Math.Ceiling(due / tick);
        if (_armedAt <= fireAt) return;
        _armedAt = fireAt;
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The core's host of this grain's engine (set once the grain has activated).</summary>
    protected abstract EngineHost? Host { get; }

    /// <summary>Makes what <paramref name="ready"/> asks to persist durable (a journal write, or the learner's snapshot).</summary>
    protected abstract Task PersistAsync(Ready ready);

    /// <summary>Steps the engine (the learner does it under its replica's read lock).</summary>
    protected virtual Ready StepEngine(EngineHost host, IReadOnlyList<object> inputs) => host.Step(inputs);

    /// <summary>What the grain does with a step's outcome before it persists (the learner answers its clients).</summary>
    protected virtual void BeforePersist(IReadOnlyList<object> inputs, Ready ready)
    {
    }

    /// <summary>What the grain does once a step was carried out and advanced.</summary>
    protected virtual void AfterAdvance(IReadOnlyList<object> inputs, Ready ready)
    {
    }

    /// <summary>One turn of the host contract: step, answer, persist, send, notify, advance.</summary>
    private async Task ProcessAsync(IReadOnlyList<object> inputs)
    {
        var host = Host!;
        var ready = StepEngine(host, inputs);
        BeforePersist(inputs, ready);
        if (ready.HasJournalWrite || ready.Snapshot is not null) await PersistAsync(ready);
        Send(ready.Messages);
        if (ready.VotedBelow is { } voted) Notify(Node.NoteVoted(GrainFactory, Application, voted), typeof(Voted));
        if (ready.LearnedBelow is { } learned) Notify(Node.NoteLearned(GrainFactory, Application, learned), typeof(Learned));
        host.Advance(ready);
        AfterAdvance(inputs, ready);
        ArmTimer();
    }

    /// <summary>Logs a failed notice to this node's proposer (the next one, or its ticks, make up for it).</summary>
    protected void Notify(Task notice, Type what)
    {
        if (notice.IsCompletedSuccessfully) return;
        notice.ContinueWith(
            (t, state) => Log.NotDelivered(Logger, t.Exception, Application, (Type)state!, Role.Proposer, Node.Self.Value),
            what,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Current);
    }

    /// <summary>
    /// Sends messages to their grains, one-way (a lost message is retried by the protocol): to this
    /// node's own grains sealed with the local key, to other nodes through their links
    /// (<see cref="NodeLinks"/>), which sign whatever the node has for a peer once per batch.
    /// </summary>
    protected void Send(IReadOnlyList<Envelope> envelopes)
    {
        if (envelopes.Count == 0) return;
        var encoded = new Dictionary<Message, byte[]>(ReferenceEqualityComparer.Instance);
        bool toPeers = false;
        foreach (var envelope in envelopes)
        {
            if (!encoded.TryGetValue(envelope.Message, out var payload))
            {
                payload = WireCodec.EncodeMessage(envelope.Message);
                encoded[envelope.Message] = payload;
            }

            if (envelope.To != Node.Self)
            {
                _links!.Send(envelope.To.Value, Application, envelope.Role, payload);
                toPeers = true;
                continue;
            }

            var sealedEnvelope = Node.Signer.Seal(Application, envelope.To.Value, envelope.Role, payload);
            Metrics.EnvelopeSignatures.Add(1, new KeyValuePair<string, object?>("op", "local-seal"));
            Observe(GrainFactory.ProtocolGrain(envelope.Role, Application, Node.Identity.Name).Post(sealedEnvelope), envelope);
        }

        if (toPeers) _links!.FlushAll();
    }

    private void Observe(Task delivery, Envelope envelope)
    {
        if (delivery.IsCompletedSuccessfully) return;
        delivery.ContinueWith(
            (t, state) =>
            {
                var e = (Envelope)state!;
                Log.NotDelivered(Logger, t.Exception, Application, e.Message.GetType(), e.Role, e.To.Value);
            },
            envelope,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Current);
    }

    private async Task PumpAsync()
    {
        try
        {
            while (_inbox.Count > 0)
            {
                // Every turn starts with the time: engines read it only from ticks, and skip those
                // before their next deadline.
                var batch = new List<object>(_inbox.Count + 1) { new Tick(Now) };
                while (_inbox.TryDequeue(out var input))
                {
                    if (input is TickInput)
                    {
                        _tickQueued = false;
                        continue;
                    }

                    batch.Add(input);
                }

                await ProcessAsync(batch);
            }
        }
        catch (Exception e)
        {
            // The engine may now be ahead of what is durable: never send from it again. Reload from
            // storage in a new activation instead.
            Log.EngineFailed(Logger, e, Application, Role.ToString(), Node.Identity.Name);
            _failed = true;
            _inbox.Clear();
            DeactivateOnIdle();
        }
        finally
        {
            _pumping = false;
        }
    }

    /// <summary>A wake-up queued by the timer: the pump's turn starts with a <see cref="Tick"/> with the time it runs at.</summary>
    private sealed class TickInput
    {
        /// <summary>The one instance.</summary>
        public static readonly TickInput Instance = new();

        private TickInput()
        {
        }
    }
}
