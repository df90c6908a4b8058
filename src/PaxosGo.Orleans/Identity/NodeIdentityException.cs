namespace PaxosGo.Orleans.Identity;

/// <summary>
/// A node's identity cannot be established: its key file is missing or malformed, its name is not
/// in the mesh, or its key does not match its mesh entry. The message says which file or node and
/// what is wrong.
/// </summary>
public sealed class NodeIdentityException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public NodeIdentityException()
        : base("the node identity is invalid")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What is wrong, naming the file or node.</param>
    public NodeIdentityException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">What is wrong, naming the file or node.</param>
    /// <param name="innerException">The underlying error.</param>
    public NodeIdentityException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
