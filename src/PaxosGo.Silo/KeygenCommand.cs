using System.CommandLine;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Silo;

/// <summary><c>keygen --out PATH</c>: writes a new node key file (mode 0600) and prints its node id and public key.</summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            Description = "The key file to write; it must not exist (a key file is never overwritten).",
            Required = true,
        };
        var command = new Command("keygen", "Generate a node key (Ed25519) into a new file readable only by its owner.") { output };
        command.SetAction(parse => Run(parse.GetValue(output)!));
        return command;
    }

    private static int Run(string path)
    {
        using var key = NodeKey.Generate();
        try
        {
            key.Save(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Cli.Fail(e.Message);
        }

        Console.WriteLine($"key file:   {Path.GetFullPath(path)}");
        Console.WriteLine($"node id:    {key.NodeId}");
        Console.WriteLine($"public key: {Convert.ToHexStringLower(key.PublicKey)}");
        return 0;
    }
}
