using System.CommandLine;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary>The <c>--mesh</c> option of the commands that connect over TLS: the silos' certificates are checked against its node keys.</summary>
internal static class MeshFiles
{
    public static Option<string> Option() => new("--mesh")
    {
        Description = "The cluster's mesh file: the gateways must prove they are its nodes (TLS).",
        Required = true,
    };

    /// <summary>Loads the mesh file.</summary>
    /// <exception cref="CliException">The file is missing or invalid (exit code 2).</exception>
    public static Mesh Load(string path)
    {
        try
        {
            return Mesh.Load(path);
        }
        catch (MeshConfigurationException e)
        {
            throw new CliException(e.Message, Cli.UsageError, e);
        }
    }
}
