namespace PaxosGo.Orleans.Applications;

/// <summary>
/// An application's own check of a command's payload at the entry node, after the command was
/// authenticated and before anything is proposed (<see cref="ApplicationSiloBuilderExtensions.AddCommandValidator{TValidator}"/>).
/// A payload it refuses is answered with <see cref="Commands.CommandRejectionCodes.Invalid"/> and the
/// reason, and changes nothing. It may look outside the replicated state (storage, say), which the
/// state machine itself must never do. A validator that throws gives no verdict: nothing is proposed,
/// and the client is told to retry the same request. Give the same verdict for the same payload every
/// time: a retry of a request may be checked again (on another node), and refusing a retry whose first
/// attempt was proposed would tell the client that nothing changed when it may commit.
/// </summary>
public interface ICommandValidator
{
    /// <summary>Null when <paramref name="payload"/> may be proposed, otherwise why not, in one line.</summary>
    ValueTask<string?> ValidateAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);
}
