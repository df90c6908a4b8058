using System.Buffers.Binary;
using System.CommandLine;
using System.Globalization;
using System.Text;
using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary>
/// <c>submit</c>: signs one command with the client's key (the client id is the key's id), submits it
/// and prints its result. Until <c>--timeout</c> runs out it retries with the same request id, which
/// the cluster executes at most once; a rejected command is not retried.
/// </summary>
internal static class SubmitCommand
{
    private const string CounterApplication = "counter";

    public static Command Create(ConnectionOptions connection)
    {
        var app = new Option<string>("--app") { Description = "The application.", DefaultValueFactory = _ => CounterApplication };
        var key = new Option<string>("--key")
        {
            Description = "The client's key file (paxosgo keygen); the client id is its id, and the client must be registered for the application.",
            Required = true,
        };
        var request = new Option<ulong>("--request")
        {
            Description = "The request id: larger than the client's previous one; reuse it to retry the same command.",
            Required = true,
        };
        var payload = new Option<string?>("--payload") { Description = "The payload, as UTF-8 text." };
        var add = new Option<ulong?>("--add") { Description = "The payload as an 8-byte little-endian number (the counter application adds it)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to keep retrying before giving up.", DefaultValueFactory = _ => 30 };
        var mesh = MeshFiles.Option();

        var command = new Command(
            "submit",
            "Sign one command with the client's key and submit it; print its result: state=<state> node=<node answering> (counter: total=<n>). " +
            "A command the cluster rejects prints 'rejected (<code>): <reason>' and exits 1.")
        {
            app, key, mesh, request, payload, add, timeout,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(payload) is not null && result.GetResult(add) is not null)
            {
                result.AddError("give --payload or --add, not both");
            }
        });
        timeout.Validators.Add(Timeouts.Validate);
        command.SetAction((parse, cancellation) =>
        {
            var bytes = parse.GetValue(add) is { } number ? Encode(number) : Encoding.UTF8.GetBytes(parse.GetValue(payload) ?? string.Empty);
            return RunAsync(
                connection.Read(parse), parse.GetValue(app)!, parse.GetValue(key)!, parse.GetValue(mesh)!, parse.GetValue(request), bytes, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellation);
        });
        return command;
    }

    private static byte[] Encode(ulong number)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, number);
        return bytes;
    }

    private static async Task<int> RunAsync(
        ClusterAddress address, string app, string keyFile, string meshFile, ulong request, byte[] payload, TimeSpan timeout, CancellationToken cancellation)
    {
        if (!GrainKeys.IsValidName(app))
        {
            return Cli.Fail($"'{app}' is not an application name ({GrainKeys.NamePattern})", Cli.UsageError);
        }

        NodeKey key;
        Mesh mesh;
        try
        {
            key = KeyFiles.Load(keyFile, "--key");
            mesh = LoadMesh(meshFile, key);
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }

        using (key)
        {
            var command = new CommandSigner(key).Sign(app, request, payload);
            return await Submission.RunAsync(address, key, mesh, command, timeout, reply => Format(app, reply), cancellation).ConfigureAwait(false);
        }
    }

    private static Mesh LoadMesh(string meshFile, NodeKey key)
    {
        try
        {
            return MeshFiles.Load(meshFile);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static string Format(string app, CommandReply reply)
    {
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"state={reply.State} node={reply.Node}");
        if (app == CounterApplication && reply.Output.Length == 8)
        {
            line.Append(CultureInfo.InvariantCulture, $" total={BinaryPrimitives.ReadUInt64LittleEndian(reply.Output)}");
        }
        else if (reply.Output.Length > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $" output={Convert.ToHexStringLower(reply.Output)}");
        }

        return line.ToString();
    }
}

/// <summary>The <c>--timeout</c> check shared by the commands that submit.</summary>
internal static class Timeouts
{
    public static void Validate(System.CommandLine.Parsing.OptionResult result)
    {
        if (result.GetValueOrDefault<int>() <= 0)
        {
            result.AddError("--timeout must be at least 1 second");
        }
    }
}
