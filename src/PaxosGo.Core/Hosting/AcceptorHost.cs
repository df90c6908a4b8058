using PaxosGo.Core.Journal;

namespace PaxosGo.Core.Hosting;

/// <summary>
/// The host logic of an <see cref="Core.Acceptor"/>: steps it with a batch of Prepares and Accepts,
/// asks for one journal write of what changed against what is durable (none for an Accept it already
/// holds), and tells the node's proposer how far its durable votes reach.
/// </summary>
public sealed class AcceptorHost : EngineHost
{
    private AcceptorState _durable;
    private AcceptorState? _written;
    private ulong _notifiedVotedBelow;

    /// <summary>Hosts <paramref name="acceptor"/>, whose state is what the journal holds (<paramref name="durable"/>).</summary>
    public AcceptorHost(string application, Acceptor acceptor, AcceptorState durable)
        : base(application)
    {
        ArgumentNullException.ThrowIfNull(acceptor);
        ArgumentNullException.ThrowIfNull(durable);
        Acceptor = acceptor;
        _durable = durable;
    }

    /// <summary>The engine.</summary>
    public Acceptor Acceptor { get; }

    /// <summary>
    /// The first notice for the node's proposer (how far the durable votes reach at start); null when
    /// there are none. Give it as a <see cref="Voted"/> input once the engine runs.
    /// </summary>
    public ulong? InitialVotedBelow()
    {
        ulong below = _durable.VotedBelow;
        if (below <= _notifiedVotedBelow) return null;
        _notifiedVotedBelow = below;
        return below;
    }

    /// <inheritdoc />
    protected override Ready Run(IReadOnlyList<object> inputs)
    {
        AcceptorState? persist = null;
        var messages = new List<Envelope>();
        foreach (var input in inputs)
        {
            AcceptorStep step;
            switch (input)
            {
                case Prepare prepare: step = Acceptor.Handle(prepare); break;
                case Accept accept: step = Acceptor.Handle(accept); break;
                default: continue;
            }

            persist = step.Persist ?? persist;
            messages.AddRange(step.Messages);
        }

        if (persist is null) return messages.Count == 0 ? Ready.Empty : Ready.Empty with { Messages = messages };
        _written = persist;
        var change = NodeJournal.Change(Application, _durable, persist);
        ulong? voted = persist.VotedBelow > _notifiedVotedBelow ? persist.VotedBelow : null;
        return Ready.Empty with { Acceptor = change, Messages = messages, VotedBelow = voted };
    }

    /// <inheritdoc />
    protected override void Advanced(Ready ready)
    {
        if (_written is { } written) _durable = written;
        _written = null;
        if (ready.VotedBelow is { } voted) _notifiedVotedBelow = Math.Max(_notifiedVotedBelow, voted);
    }
}
