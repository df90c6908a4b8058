namespace PaxosGo.Core;

/// <summary>What happened to a command when its slot was applied.</summary>
public enum ApplyOutcome
{
    /// <summary>First time seen: executed, <c>state</c> incremented.</summary>
    Executed,

    /// <summary>The client's last executed request again: not executed, the cached result returned.</summary>
    Duplicate,

    /// <summary>Older than the client's last executed request: not executed, no result to return.</summary>
    Stale,

    /// <summary>
    /// A read barrier (client <see cref="Replica.BarrierClientId"/>): nothing executes, <c>state</c>
    /// is unchanged, and the result carries <c>state</c> as of this point in the log. A linearizable
    /// read waits for its barrier to be applied.
    /// </summary>
    Barrier,

    /// <summary>
    /// Refused by the replicated state itself (<see cref="RejectionReason"/> says why): the client is
    /// not registered (when registration is required), or an administrative command is not signed by
    /// the administrator or is malformed. Not executed; nothing changes, <c>state</c> included.
    /// </summary>
    Rejected,
}

/// <summary>Why a replica refused a command (<see cref="ApplyOutcome.Rejected"/>).</summary>
public enum RejectionReason
{
    /// <summary>The client is not registered for the application.</summary>
    NotRegistered,

    /// <summary>An administrative command that does not carry a valid administrator signature (or no administrator is configured).</summary>
    BadSignature,

    /// <summary>An administrative command whose payload does not decode, or whose client id is not the hex SHA-256 of its key.</summary>
    Malformed,
}

/// <summary>The answer a client gets for a command: <c>state</c> right after it executed, and the machine's output.</summary>
public sealed record CommandResult(ulong State, byte[] Output);

/// <summary>What applying one command did: its outcome, its result (executed, duplicate or barrier), and why it was rejected.</summary>
public readonly record struct ApplyResult(ApplyOutcome Outcome, CommandResult? Result, RejectionReason? Rejection = null)
{
    /// <summary>The outcome and the result.</summary>
    public void Deconstruct(out ApplyOutcome outcome, out CommandResult? result)
    {
        outcome = Outcome;
        result = Result;
    }
}

/// <summary>One command of an applied slot and what became of it.</summary>
public readonly record struct AppliedCommand(ulong Slot, Command Command, ApplyOutcome Outcome, CommandResult? Result, RejectionReason? Rejection = null);
