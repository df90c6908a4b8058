using PaxosGo.Orleans.Hosting;
using System.CommandLine;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary><c>state</c>: asks every mesh node's learner for its replica's state, one line per node.</summary>
internal static class StateCommand
{
    private static readonly TimeSpan PerNode = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    public static Command Create(ConnectionOptions connection)
    {
        var app = new Option<string>("--app") { Description = "The application.", DefaultValueFactory = _ => "counter" };
        var mesh = new Option<string>("--mesh") { Description = "The mesh file (lists the nodes).", Required = true };
        var linearizable = new Option<bool>("--linearizable")
        {
            Description = "Each node first passes a read barrier through Paxos, so its answer reflects every command acknowledged before the read started.",
        };
        var command = new Command(
            "state",
            "Print every node's replica: <node>  state=<n>  next-slot=<slot>  digest=<first 8 hex>, or '<node>  unreachable: <reason>'. Exit code 3 when a node did not answer.")
        {
            app, mesh, linearizable,
        };
        command.SetAction((parse, cancellation) => RunAsync(connection.Read(parse), parse.GetValue(app)!, parse.GetValue(mesh)!, parse.GetValue(linearizable), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(ClusterAddress address, string app, string meshFile, bool linearizable, CancellationToken cancellation)
    {
        if (!GrainKeys.IsValidName(app))
        {
            return Cli.Fail($"'{app}' is not an application name ({GrainKeys.NamePattern})", Cli.UsageError);
        }

        Mesh mesh;
        try
        {
            mesh = Mesh.Load(meshFile);
        }
        catch (MeshConfigurationException e)
        {
            return Cli.Fail(e.Message, Cli.UsageError);
        }

        try
        {
            await using var connection = await ClusterConnection.ConnectAsync(address, DateTime.UtcNow + ConnectTimeout, cancellation).ConfigureAwait(false);
            var names = mesh.Nodes.Select(n => n.Name).Order(StringComparer.Ordinal).ToArray();
            var lines = await Task.WhenAll(names.Select(name => AskAsync(connection.Client, app, name, linearizable, cancellation))).ConfigureAwait(false);
            var width = names.Max(n => n.Length);
            var reachable = true;
            for (var i = 0; i < names.Length; i++)
            {
                Console.WriteLine($"{names[i].PadRight(width)}  {lines[i].Text}");
                reachable &= lines[i].Reachable;
            }

            return reachable ? 0 : Cli.SomeUnreachable;
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }
    }

    private static async Task<(bool Reachable, string Text)> AskAsync(IClusterClient client, string app, string node, bool linearizable, CancellationToken cancellation)
    {
        try
        {
            var learner = client.GetGrain<ILearnerGrain>(GrainKeys.For(app, node));
            var status = await (linearizable ? learner.ReadLinearizable() : learner.GetStatus()).WaitAsync(PerNode, cancellation).ConfigureAwait(false);
            var digest = status.Digest.Length > 8 ? status.Digest[..8] : status.Digest;
            return (true, $"state={status.State}  next-slot={status.NextSlot}  digest={digest}");
        }
        catch (TimeoutException)
        {
            return (false, $"unreachable: no answer within {PerNode.TotalSeconds:0} s");
        }
        catch (UnknownApplicationException e)
        {
            // The node answered: the cluster does not run this application (exit code 1, not 'unreachable').
            throw new CliException(e.Message, e);
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            return (false, "unreachable: " + ErrorText.Describe(e));
        }
    }
}
