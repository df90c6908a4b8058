using PaxosGo.Orleans.Commands;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary>
/// Sends one signed command through the application's entry grain. Until the timeout runs out it
/// retries the very same command (same request id), which the cluster executes at most once; a
/// command the entry node rejects is not retried.
/// </summary>
internal static class Submission
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Connects as <paramref name="key"/> (TLS, servers checked against <paramref name="mesh"/>),
    /// submits <paramref name="command"/> and prints <paramref name="describe"/> of its reply; returns the exit code.
    /// </summary>
    public static async Task<int> RunAsync(
        ClusterAddress address, NodeKey key, Mesh mesh, SignedCommand command, TimeSpan timeout, Func<CommandReply, string> describe, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            await using var connection = await ClusterConnection.ConnectAsync(address, key, mesh, deadline, cancellation).ConfigureAwait(false);
            var grain = connection.Client.GetGrain<IApplicationGrain>(command.Application);
            Exception? last = null;
            for (var remaining = deadline - DateTime.UtcNow; remaining > TimeSpan.Zero; remaining = deadline - DateTime.UtcNow)
            {
                try
                {
                    var reply = await grain.Submit(command).WaitAsync(remaining, cancellation).ConfigureAwait(false);
                    Console.WriteLine(describe(reply));
                    return 0;
                }
                catch (CommandRejectedException e)
                {
                    // Discarded before anything was proposed (or refused by the replicated registry): retrying cannot help.
                    return Cli.Fail($"rejected ({e.Code}): {e.Message}");
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

            return Cli.Fail($"{Label(command)} was not committed within {timeout.TotalSeconds:0} s: {ErrorText.Describe(last)}");
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }
    }

    private static string Label(SignedCommand command) =>
        $"{(command.ClientId.Length > 12 ? command.ClientId[..12] + "…" : command.ClientId)}#{command.RequestId}";
}
