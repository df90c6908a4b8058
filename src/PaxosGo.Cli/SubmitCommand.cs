using PaxosGo.Orleans.Hosting;
using System.Buffers.Binary;
using System.CommandLine;
using System.Globalization;
using System.Text;
using PaxosGo.Orleans.Grains;

namespace PaxosGo.Cli;

/// <summary>
/// <c>submit</c>: submits one command and prints its result. Until <c>--timeout</c> runs out it retries
/// with the same client id and request id, which the cluster executes at most once.
/// </summary>
internal static class SubmitCommand
{
    private const string CounterApplication = "counter";
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(250);

    public static Command Create(ConnectionOptions connection)
    {
        var app = new Option<string>("--app") { Description = "The application.", DefaultValueFactory = _ => CounterApplication };
        var client = new Option<string>("--client") { Description = "The client id (its requests are executed once each, in order).", Required = true };
        var request = new Option<ulong>("--request") { Description = "The request id; reuse it to retry the same command.", Required = true };
        var payload = new Option<string?>("--payload") { Description = "The payload, as UTF-8 text." };
        var add = new Option<ulong?>("--add") { Description = "The payload as an 8-byte little-endian number (the counter application adds it)." };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to keep retrying before giving up.", DefaultValueFactory = _ => 30 };

        var command = new Command("submit", "Submit one command and print its result: state=<state> node=<node answering> (counter: total=<n>).")
        {
            app, client, request, payload, add, timeout,
        };
        command.Validators.Add(result =>
        {
            if (result.GetResult(payload) is not null && result.GetResult(add) is not null)
            {
                result.AddError("give --payload or --add, not both");
            }
        });
        timeout.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() <= 0)
            {
                result.AddError("--timeout must be at least 1 second");
            }
        });
        command.SetAction((parse, cancellation) =>
        {
            var bytes = parse.GetValue(add) is { } number ? Encode(number) : Encoding.UTF8.GetBytes(parse.GetValue(payload) ?? string.Empty);
            var submit = new ClientCommand(parse.GetValue(client)!, parse.GetValue(request), bytes);
            return RunAsync(connection.Read(parse), parse.GetValue(app)!, submit, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellation);
        });
        return command;
    }

    private static byte[] Encode(ulong number)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, number);
        return bytes;
    }

    private static async Task<int> RunAsync(ClusterAddress address, string app, ClientCommand command, TimeSpan timeout, CancellationToken cancellation)
    {
        if (!GrainKeys.IsValidName(app))
        {
            return Cli.Fail($"'{app}' is not an application name ({GrainKeys.NamePattern})", Cli.UsageError);
        }

        var deadline = DateTime.UtcNow + timeout;
        try
        {
            await using var connection = await ClusterConnection.ConnectAsync(address, deadline, cancellation).ConfigureAwait(false);
            var grain = connection.Client.GetGrain<IApplicationGrain>(app);
            Exception? last = null;
            for (var remaining = deadline - DateTime.UtcNow; remaining > TimeSpan.Zero; remaining = deadline - DateTime.UtcNow)
            {
                try
                {
                    var reply = await grain.Submit(command).WaitAsync(remaining, cancellation).ConfigureAwait(false);
                    Console.WriteLine(Format(app, reply));
                    return 0;
                }
                catch (UnknownApplicationException e)
                {
                    return Cli.Fail(e.Message);
                }
                catch (Exception e) when (!cancellation.IsCancellationRequested)
                {
                    last = e;
                }

                var pause = deadline - DateTime.UtcNow;
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause < RetryDelay ? pause : RetryDelay, cancellation).ConfigureAwait(false);
                }
            }

            return Cli.Fail($"{command.ClientId}#{command.RequestId} was not committed within {timeout.TotalSeconds:0} s: {ErrorText.Describe(last)}");
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
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
