using System.CommandLine;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary>
/// <c>keygen --out PATH</c> writes a new key file (mode 0600); <c>key show --key PATH</c> reads one.
/// Both print the key's client id and public key. Client, administrator and node keys are alike.
/// </summary>
internal static class KeyCommand
{
    public static Command CreateKeygen()
    {
        var output = new Option<string>("--out")
        {
            Description = "The key file to write; it must not exist (a key file is never overwritten).",
            Required = true,
        };
        var command = new Command(
            "keygen",
            "Generate an Ed25519 key (a client's or the administrator's; node keys are the same kind) into a new file readable only by its owner, " +
            "and print its client id (hex SHA-256 of the public key) and public key (hex; for the administrator, the silos' PaxosGo:AdminPublicKey).")
        {
            output,
        };
        command.SetAction(parse => Generate(parse.GetValue(output)!));
        return command;
    }

    public static Command CreateKey()
    {
        var key = new Option<string>("--key") { Description = "The key file.", Required = true };
        var show = new Command("show", "Print a key file's client id and public key (hex).") { key };
        show.SetAction(parse => Show(parse.GetValue(key)!));
        return new Command("key", "Inspect key files.") { show };
    }

    private static int Generate(string path)
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

        KeyFiles.Print(path, key);
        return 0;
    }

    private static int Show(string path)
    {
        try
        {
            using var key = KeyFiles.Load(path, "--key");
            KeyFiles.Print(path, key);
            return 0;
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }
    }
}
