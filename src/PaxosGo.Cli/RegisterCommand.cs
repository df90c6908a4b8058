using System.CommandLine;
using System.Globalization;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary>
/// <c>register</c>: registers (or, with <c>--revoke</c>, revokes) a client's public key for an
/// application. An administrative command: signed with the administrator's key as client
/// <c>$admin</c>, request id the current Unix time in microseconds, replicated through Paxos like any
/// other command (so it counts in <c>state</c>). Registering an already registered key again is harmless.
/// </summary>
internal static class RegisterCommand
{
    public static Command Create(ConnectionOptions connection)
    {
        var app = new Option<string>("--app") { Description = "The application the client may then send commands to.", Required = true };
        var adminKey = new Option<string>("--admin-key")
        {
            Description = "The administrator's key file (its public key is the silos' PaxosGo:AdminPublicKey).",
            Required = true,
        };
        var clientKey = new Option<string?>("--client-key") { Description = "The client's key file (only its public key is used)." };
        var clientPublicKey = new Option<string?>("--client-public-key") { Description = "The client's public key, 64 hex characters (paxosgo key show prints it)." };
        var revoke = new Option<bool>("--revoke") { Description = "Revoke the client's registration instead." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to keep retrying before giving up.", DefaultValueFactory = _ => 30 };
        var mesh = MeshFiles.Option();

        var command = new Command(
            "register",
            "Register a client's public key for an application (signed with the administrator's key), or revoke it with --revoke; " +
            "print 'registered <client id> for <app> (state=<n>)'.")
        {
            app, adminKey, clientKey, clientPublicKey, mesh, revoke, timeout,
        };
        command.Validators.Add(result =>
        {
            bool byFile = result.GetResult(clientKey) is not null, byHex = result.GetResult(clientPublicKey) is not null;
            if (byFile == byHex)
            {
                result.AddError("give the client as --client-key FILE or --client-public-key HEX (one of them)");
            }
        });
        clientPublicKey.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string?>();
            if (value is not null && (value.Length != 2 * NodeKey.KeyLength || !value.All(Uri.IsHexDigit)))
            {
                result.AddError($"--client-public-key must be {2 * NodeKey.KeyLength} hex characters (a raw Ed25519 public key), not '{value}'");
            }
        });
        timeout.Validators.Add(Timeouts.Validate);
        command.SetAction((parse, cancellation) => RunAsync(
            connection.Read(parse),
            parse.GetValue(app)!,
            parse.GetValue(adminKey)!,
            parse.GetValue(clientKey),
            parse.GetValue(clientPublicKey),
            parse.GetValue(mesh)!,
            !parse.GetValue(revoke),
            TimeSpan.FromSeconds(parse.GetValue(timeout)),
            cancellation));
        return command;
    }

    private static async Task<int> RunAsync(
        ClusterAddress address, string app, string adminKeyFile, string? clientKeyFile, string? clientPublicKeyHex, string meshFile, bool register, TimeSpan timeout, CancellationToken cancellation)
    {
        if (!GrainKeys.IsValidName(app))
        {
            return Cli.Fail($"'{app}' is not an application name ({GrainKeys.NamePattern})", Cli.UsageError);
        }

        SignedCommand command;
        string clientId;
        NodeKey adminKey;
        Mesh mesh;
        try
        {
            mesh = MeshFiles.Load(meshFile);
            byte[] publicKey;
            if (clientKeyFile is not null)
            {
                using var clientKey = KeyFiles.Load(clientKeyFile, "--client-key");
                publicKey = clientKey.PublicKey;
            }
            else
            {
                publicKey = Convert.FromHexString(clientPublicKeyHex!);
            }

            clientId = NodeKey.ComputeNodeId(publicKey);
            adminKey = KeyFiles.Load(adminKeyFile, "--admin-key");
            command = CommandSigner.ForAdministrator(adminKey).Registration(app, KeyFiles.AdminRequestId(), register, clientId, publicKey);
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }

        var verb = register ? "registered" : "revoked";
        using (adminKey)
        {
            return await Submission.RunAsync(
                address,
                adminKey,
                mesh,
                command,
                timeout,
                reply => string.Create(CultureInfo.InvariantCulture, $"{verb} {clientId} for {app} (state={reply.State})"),
                cancellation).ConfigureAwait(false);
        }
    }
}
