namespace PaxosGo.Core.Hosting;

/// <summary>
/// The host contract every adapter of an engine follows, the grains and the simulator alike:
/// <see cref="Step(IReadOnlyList{object})"/> with the inputs that arrived (in order), carry out the <see cref="Ready"/> it
/// returns, then <see cref="Advance"/>. One step at a time: a step taken before the previous one
/// was advanced is a host bug, refused with <see cref="InvalidOperationException"/>.
/// </summary>
public abstract class EngineHost
{
    private Ready? _unadvanced;

    /// <summary>The application the engine serves (names its journal records).</summary>
    public string Application { get; }

    /// <summary>Creates the host of one engine of <paramref name="application"/>.</summary>
    protected EngineHost(string application)
    {
        ArgumentException.ThrowIfNullOrEmpty(application);
        Application = application;
    }

    /// <summary>
    /// Steps the engine with <paramref name="inputs"/> (protocol <see cref="Message"/>s and
    /// <see cref="LocalInput"/>s; those the role has no use for are ignored) and returns what the host
    /// must do, in the order <see cref="Ready"/> gives.
    /// </summary>
    public Ready Step(IReadOnlyList<object> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (_unadvanced is not null)
        {
            throw new InvalidOperationException($"The {GetType().Name} of '{Application}' was stepped before its previous Ready was advanced.");
        }

        var ready = Run(inputs);
        _unadvanced = ready;
        return ready;
    }

    /// <summary>
    /// The earliest time at which a <see cref="Tick"/> can make the engine do anything;
    /// <see cref="long.MaxValue"/> when none can (an acceptor, an idle follower). A host need not
    /// tick before it, provided every step it takes starts with a <see cref="Tick"/> of the current
    /// time: engines read time only from ticks, so a message stepped after a long silence must not
    /// see a stale clock. Read it after <see cref="Advance"/>; it changes with every step.
    /// </summary>
    public virtual long NextDeadline => long.MaxValue;

    /// <summary>Steps the engine with one input (see <see cref="Step(IReadOnlyList{object})"/>).</summary>
    public Ready Step(object input) => Step([input]);

    /// <summary>
    /// Tells the host that <paramref name="ready"/> was carried out: its writes are durable and its
    /// messages sent. The next step may now be taken.
    /// </summary>
    public void Advance(Ready ready)
    {
        ArgumentNullException.ThrowIfNull(ready);
        if (!ReferenceEquals(ready, _unadvanced))
        {
            throw new InvalidOperationException($"The {GetType().Name} of '{Application}' was advanced with a Ready it did not return last.");
        }

        _unadvanced = null;
        Advanced(ready);
    }

    /// <summary>Steps the engine for each input and gathers what the host must do.</summary>
    protected abstract Ready Run(IReadOnlyList<object> inputs);

    /// <summary>What the host learns when a Ready is carried out (the writes are durable).</summary>
    protected virtual void Advanced(Ready ready)
    {
    }
}
