namespace PaxosGo.Orleans.Commands;

/// <summary>
/// The entry node discarded a command before proposing anything: <see cref="Code"/> says why (one of
/// <see cref="CommandRejectionCodes"/>), the message says it in words. Nothing changed.
/// </summary>
[GenerateSerializer]
public sealed class CommandRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CommandRejectedException()
        : this(CommandRejectionCodes.Malformed, "The command was rejected.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public CommandRejectedException(string message)
        : this(CommandRejectionCodes.Malformed, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CommandRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = CommandRejectionCodes.Malformed;
    }

    /// <summary>Creates the exception with its code.</summary>
    public CommandRejectedException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Why the command was discarded.</summary>
    [Id(0)]
    public string Code { get; private set; }
}

/// <summary>The values of <see cref="CommandRejectedException.Code"/>.</summary>
public static class CommandRejectionCodes
{
    /// <summary>A field is missing or has the wrong shape (client id, hash or signature length, application name).</summary>
    public const string Malformed = "malformed";

    /// <summary>The payload is larger than the configured maximum.</summary>
    public const string Oversized = "oversized";

    /// <summary>The cluster does not run the application.</summary>
    public const string UnknownApplication = "unknown-application";

    /// <summary>The hash is not the hash of the command's fields.</summary>
    public const string BadHash = "bad-hash";

    /// <summary>The signature does not verify with the client's registered key.</summary>
    public const string BadSignature = "bad-signature";

    /// <summary>No application of the cluster has this client registered.</summary>
    public const string UnknownClient = "unknown-client";

    /// <summary>The client is registered, but not for this application.</summary>
    public const string NotRegistered = "not-registered";

    /// <summary>The node holds no such session (expired, evicted, closed, or the node restarted): open a new one and resend.</summary>
    public const string UnknownSession = "unknown-session";

    /// <summary>The session MAC does not verify (altered command, another client's session, or a forged MAC).</summary>
    public const string BadMac = "bad-mac";

    /// <summary>The request id is older than the client's last executed request.</summary>
    public const string StaleRequest = "stale-request";

    /// <summary>The application's own check (<see cref="Applications.ICommandValidator"/>) refused the payload; the message says why.</summary>
    public const string Invalid = "invalid";
}
