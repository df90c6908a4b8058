using System.CommandLine;
using System.Globalization;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary><c>state</c>: asks every mesh node's read API (its HTTP port) for its replica's state, one line per node.</summary>
internal static class StateCommand
{
    private static readonly TimeSpan PerNode = TimeSpan.FromSeconds(10);

    public static Command Create()
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
        command.SetAction((parse, cancellation) => RunAsync(parse.GetValue(app)!, parse.GetValue(mesh)!, parse.GetValue(linearizable), cancellation));
        return command;
    }

    private static async Task<int> RunAsync(string app, string meshFile, bool linearizable, CancellationToken cancellation)
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
            using var http = NodeApi.CreateClient(PerNode);
            var api = new NodeApi(http);
            var nodes = mesh.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).ToArray();
            string path = $"/apps/{app}/state" + (linearizable ? "?consistency=linearizable" : string.Empty);
            var answers = await Task.WhenAll(nodes.Select(n => api.GetAsync(n, path, cancellation))).ConfigureAwait(false);
            var width = nodes.Max(n => n.Name.Length);
            foreach (var answer in answers)
            {
                Console.WriteLine($"{answer.Node.PadRight(width)}  {Describe(answer)}");
            }

            return answers.All(a => a.Up) ? 0 : Cli.SomeUnreachable;
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }
    }

    private static string Describe(NodeApi.Answer answer)
    {
        if (!answer.Up) return "unreachable: " + answer.Problem;
        string digest = NodeApi.Text(answer.Body, "digest") ?? string.Empty;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"state={NodeApi.Number(answer.Body, "state")}  next-slot={NodeApi.Number(answer.Body, "nextSlot")}  digest={(digest.Length > 8 ? digest[..8] : digest)}");
    }
}
