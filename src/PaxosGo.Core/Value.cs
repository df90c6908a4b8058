namespace PaxosGo.Core;

/// <summary>
/// One client command as the protocol carries it. Authentication happens at the entry
/// node before a command reaches the core; here it is the unit of exactly-once execution:
/// (<see cref="ClientId"/>, <see cref="RequestId"/>) names it, and a client's request ids
/// increase.
/// </summary>
public sealed class Command : IEquatable<Command>
{
    /// <summary>Creates a command.</summary>
    public Command(string clientId, ulong requestId, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(clientId);
        ArgumentNullException.ThrowIfNull(payload);
        ClientId = clientId;
        RequestId = requestId;
        Payload = payload;
    }

    /// <summary>The client that sent the command.</summary>
    public string ClientId { get; }

    /// <summary>The client's request number; a retry carries the same number.</summary>
    public ulong RequestId { get; }

    /// <summary>The application-defined body. Treated as immutable once in a command.</summary>
    public byte[] Payload { get; }

    /// <summary>The key under which the session table deduplicates this command.</summary>
    public (string ClientId, ulong RequestId) Key => (ClientId, RequestId);

    /// <inheritdoc />
    public bool Equals(Command? other) =>
        other is not null &&
        (ReferenceEquals(this, other) ||
         (RequestId == other.RequestId && ClientId == other.ClientId && Payload.AsSpan().SequenceEqual(other.Payload)));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Command);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ClientId, RequestId, Payload.Length);

    /// <inheritdoc />
    public override string ToString() => $"{ClientId}#{RequestId}";
}

/// <summary>
/// The value of one slot: a batch of client commands, or a no-op that a new leader uses to
/// fill a gap it found no accepted value for. Compared by content.
/// </summary>
public sealed class Value : IEquatable<Value>
{
    /// <summary>The no-op value: it executes nothing and does not change <c>state</c>.</summary>
    public static readonly Value NoOp = new(Array.Empty<Command>(), isNoOp: true);

    private Value(IReadOnlyList<Command> commands, bool isNoOp)
    {
        Commands = commands;
        IsNoOp = isNoOp;
    }

    /// <summary>A batch of one or more commands.</summary>
    public static Value Batch(IReadOnlyList<Command> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        if (commands.Count == 0)
        {
            throw new ArgumentException("A batch holds at least one command; use Value.NoOp for none.", nameof(commands));
        }

        return new Value(commands.ToArray(), isNoOp: false);
    }

    /// <summary>Whether this is the no-op.</summary>
    public bool IsNoOp { get; }

    /// <summary>The commands, in the order they execute.</summary>
    public IReadOnlyList<Command> Commands { get; }

    /// <inheritdoc />
    public bool Equals(Value? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (IsNoOp != other.IsNoOp || Commands.Count != other.Commands.Count) return false;
        for (int i = 0; i < Commands.Count; i++)
        {
            if (!Commands[i].Equals(other.Commands[i])) return false;
        }

        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Value);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(IsNoOp);
        foreach (var c in Commands) h.Add(c);
        return h.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => IsNoOp ? "no-op" : $"[{string.Join(",", Commands)}]";
}
