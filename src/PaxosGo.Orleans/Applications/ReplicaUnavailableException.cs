namespace PaxosGo.Orleans.Applications;

/// <summary>The replica of an application is not running on this node (not configured, or still starting).</summary>
public sealed class ReplicaUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ReplicaUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReplicaUnavailableException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public ReplicaUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
