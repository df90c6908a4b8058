using System.CommandLine;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Silo;

/// <summary>
/// <c>keygen --out PATH</c>: writes a new key file (mode 0600) and prints its id and public key. Node,
/// client and administrator keys are the same kind of key in the same file format.
/// </summary>
internal static class KeygenCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out")
        {
            Description = "The key file to write; it must not exist (a key file is never overwritten).",
            Required = true,
        };
        var command = new Command(
            "keygen",
            "Generate an Ed25519 key into a new file readable only by its owner, and print its id and public key. Node, client and " +
            "administrator keys are alike: the id is a node's id or a client's id, and an administrator key's public key is the value of PaxosGo:AdminPublicKey.") { output };
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
