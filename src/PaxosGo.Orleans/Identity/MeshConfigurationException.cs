namespace PaxosGo.Orleans.Identity;

/// <summary>
/// The mesh file (or a mesh built in code) is invalid. The message says which node is at fault
/// and what is wrong with it.
/// </summary>
public sealed class MeshConfigurationException : Exception
{
    /// <summary>Creates the exception with a generic message.</summary>
    public MeshConfigurationException()
        : base("the mesh configuration is invalid")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    /// <param name="message">What is wrong, naming the node.</param>
    public MeshConfigurationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    /// <param name="message">What is wrong, naming the node.</param>
    /// <param name="innerException">The underlying error.</param>
    public MeshConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
