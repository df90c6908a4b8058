namespace PaxosGo.Orleans.Wire;

/// <summary>
/// Thrown by <see cref="WireCodec"/> when bytes are not a valid encoding: truncated input, an
/// unknown format version or message tag, a length or count that the remaining bytes cannot
/// hold, invalid UTF-8, a non-canonical flag, or trailing bytes. It is the only exception a
/// decoder throws for any input, however hostile.
/// </summary>
public sealed class WireFormatException : FormatException
{
    /// <summary>Creates the exception with a generic message.</summary>
    public WireFormatException()
        : base("invalid wire format")
    {
    }

    /// <summary>Creates the exception with a message saying what is wrong with the bytes.</summary>
    /// <param name="message">What is wrong, e.g. "truncated Accept: needed 8 bytes for Slot, 3 left".</param>
    public WireFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the exception that revealed the problem.</summary>
    /// <param name="message">What is wrong with the bytes.</param>
    /// <param name="innerException">The underlying exception (for instance a UTF-8 decoding failure).</param>
    public WireFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
