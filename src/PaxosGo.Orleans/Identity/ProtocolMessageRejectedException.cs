using Orleans;

namespace PaxosGo.Orleans.Identity;

/// <summary>
/// A node-to-node protocol envelope was refused: malformed, from an unknown sender, from a node
/// configured differently, misdirected, or not signed by its claimed sender; or an internal call
/// without its node's attestation. Serializable by Orleans, so it crosses grain calls with its
/// <see cref="Code"/> and message intact.
/// </summary>
[GenerateSerializer]
public sealed class ProtocolMessageRejectedException : Exception
{
    /// <summary>Creates the exception with code <see cref="RejectionCodes.Unspecified"/> and a generic message.</summary>
    public ProtocolMessageRejectedException()
        : this(RejectionCodes.Unspecified, "the protocol message was rejected")
    {
    }

    /// <summary>Creates the exception with code <see cref="RejectionCodes.Unspecified"/>.</summary>
    /// <param name="message">Why the message was rejected.</param>
    public ProtocolMessageRejectedException(string message)
        : this(RejectionCodes.Unspecified, message)
    {
    }

    /// <summary>Creates the exception with code <see cref="RejectionCodes.Unspecified"/> and a cause.</summary>
    /// <param name="message">Why the message was rejected.</param>
    /// <param name="innerException">The underlying error.</param>
    public ProtocolMessageRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = RejectionCodes.Unspecified;
    }

    /// <summary>Creates the exception with a machine-readable <paramref name="code"/>.</summary>
    /// <param name="code">One of the <see cref="RejectionCodes"/>.</param>
    /// <param name="message">Why the message was rejected.</param>
    public ProtocolMessageRejectedException(string code, string message)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(code);
        Code = code;
    }

    /// <summary>Why the envelope was rejected, as one of the <see cref="RejectionCodes"/>.</summary>
    [Id(0)]
    public string Code { get; private set; }
}

/// <summary>The values of <see cref="ProtocolMessageRejectedException.Code"/>.</summary>
public static class RejectionCodes
{
    /// <summary>A field is missing or too large.</summary>
    public const string Malformed = "malformed";

    /// <summary>The sender index is not in the mesh.</summary>
    public const string UnknownSender = "unknown-sender";

    /// <summary>The envelope names another recipient, role or application than the one receiving it.</summary>
    public const string Misdirected = "misdirected";

    /// <summary>The signature is not 64 bytes or does not verify against the sender's mesh public key.</summary>
    public const string BadSignature = "bad-signature";

    /// <summary>The sender's cluster digest (mesh and administrator key, <see cref="ClusterDigest"/>) is not the receiver's: the two nodes are configured differently.</summary>
    public const string ConfigurationMismatch = "config-mismatch";

    /// <summary>An internal call of a node carries no valid attestation of that node (<see cref="LocalAttestation"/>).</summary>
    public const string Unauthenticated = "unauthenticated";

    /// <summary>A link batch this node already received (or one older than its replay window, or from an earlier incarnation of the sender).</summary>
    public const string Replayed = "replayed";

    /// <summary>No code was given (the standard exception constructors).</summary>
    public const string Unspecified = "unspecified";
}
