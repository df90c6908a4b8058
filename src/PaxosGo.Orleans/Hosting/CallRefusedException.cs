namespace PaxosGo.Orleans.Hosting;

/// <summary>
/// A call to a PaxosGo grain was refused before it ran: it came from outside the cluster to a method
/// that is not on the client surface, or it used an Orleans grain extension. Nothing changed.
/// </summary>
[GenerateSerializer]
public sealed class CallRefusedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CallRefusedException()
        : this("The call was refused.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public CallRefusedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CallRefusedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
