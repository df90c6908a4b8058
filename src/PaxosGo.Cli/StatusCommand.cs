using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Hosting;
using PaxosGo.Orleans.Identity;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace PaxosGo.Cli;

/// <summary>
/// <c>status</c>: one table, a row per mesh node, from each node's read API (its HTTP port): up/down
/// (it answered within 2 s), replica state, next slot, digest, and its proposer's standing and known
/// leader. <c>watch</c>: the same table, refreshed in place until Ctrl-C, with the committed commands per second.
/// </summary>
internal static class StatusCommand
{
    public static Command CreateStatus()
    {
        var (app, mesh) = CommonOptions();
        var command = new Command(
            "status",
            "Print a table of every mesh node, read from its HTTP port: up/down (answered within 2 s), state, next slot, digest, proposer standing and the leader it knows. " +
            "Plain text when stdout is redirected. Exit code 3 when a node did not answer.")
        {
            app, mesh,
        };
        command.SetAction((parse, cancellation) => StatusAsync(parse.GetValue(app)!, parse.GetValue(mesh)!, cancellation));
        return command;
    }

    public static Command CreateWatch()
    {
        var (app, mesh) = CommonOptions();
        var interval = new Option<double>("--interval") { Description = "Seconds between refreshes.", DefaultValueFactory = _ => 1 };
        interval.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<double>();
            if (!(value >= 0.1 && value <= 3600))
            {
                result.AddError("--interval must be between 0.1 and 3600 seconds");
            }
        });
        var command = new Command(
            "watch",
            "Show the status table refreshed in place until Ctrl-C, with committed commands/s (from the change of the highest state). Needs a terminal.")
        {
            app, mesh, interval,
        };
        command.SetAction((parse, cancellation) => WatchAsync(
            parse.GetValue(app)!, parse.GetValue(mesh)!, TimeSpan.FromSeconds(parse.GetValue(interval)), cancellation));
        return command;
    }

    private static (Option<string> App, Option<string> Mesh) CommonOptions() =>
        (new Option<string>("--app") { Description = "The application.", DefaultValueFactory = _ => "counter" },
         new Option<string>("--mesh") { Description = "The mesh file (lists the nodes).", Required = true });

    private static async Task<int> StatusAsync(string app, string meshFile, CancellationToken cancellation)
    {
        try
        {
            var nodes = LoadNodes(app, meshFile);
            using var http = NodeApi.CreateClient(NodeStatus.PerNode);
            var rows = await NodeStatus.PollAsync(new NodeApi(http), app, nodes, cancellation).ConfigureAwait(false);
            var console = CreateConsole();
            console.Write(StatusTable.Render(rows, title: null, plain: Console.IsOutputRedirected));
            return rows.All(r => r.Up) ? 0 : Cli.SomeUnreachable;
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }
    }

    private static async Task<int> WatchAsync(string app, string meshFile, TimeSpan interval, CancellationToken cancellation)
    {
        if (Console.IsOutputRedirected)
        {
            return Cli.Fail("watch needs a terminal; use status", Cli.UsageError);
        }

        try
        {
            var nodes = LoadNodes(app, meshFile);
            using var http = NodeApi.CreateClient(NodeStatus.PerNode);
            var api = new NodeApi(http);
            var console = CreateConsole();
            var rate = new CommitRate();
            var rows = await NodeStatus.PollAsync(api, app, nodes, cancellation).ConfigureAwait(false);
            var live = new LiveDisplay(console, StatusTable.Render(rows, Title(app, rate.Update(rows)), plain: false)) { AutoClear = false };
            await live.StartAsync(async context =>
            {
                while (true)
                {
                    await Task.Delay(interval, cancellation).ConfigureAwait(false);
                    rows = await NodeStatus.PollAsync(api, app, nodes, cancellation).ConfigureAwait(false);
                    context.UpdateTarget(StatusTable.Render(rows, Title(app, rate.Update(rows)), plain: false));
                }
            }).ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Ctrl-C: the last table stays on screen.
            return 0;
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }
    }

    private static string Title(string app, double? perSecond) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{app}  {DateTime.Now:HH:mm:ss}  {(perSecond is { } r ? r.ToString("0.0", CultureInfo.InvariantCulture) : "-")} commands/s  (Ctrl-C to stop)");

    /// <summary>The mesh's nodes, sorted by name; checks the application name first.</summary>
    /// <exception cref="CliException">The application name or the mesh file is invalid (exit code 2).</exception>
    private static MeshNode[] LoadNodes(string app, string meshFile)
    {
        if (!GrainKeys.IsValidName(app))
        {
            throw new CliException($"'{app}' is not an application name ({GrainKeys.NamePattern})", Cli.UsageError);
        }

        try
        {
            return Mesh.Load(meshFile).Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).ToArray();
        }
        catch (MeshConfigurationException e)
        {
            throw new CliException(e.Message, Cli.UsageError, e);
        }
    }

    /// <summary>A Spectre console on stdout; without a terminal it writes no escape codes.</summary>
    private static IAnsiConsole CreateConsole()
    {
        var redirected = Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected)
        {
            // No terminal width to fit: do not wrap the table at the default 80 columns.
            console.Profile.Width = 240;
        }

        return console;
    }
}

/// <summary>What one node's read API said of its replica and proposer (or why it did not answer).</summary>
internal sealed record NodeStatus(string Node, ulong State, ulong NextSlot, string Digest, string? Standing, string? Leader, string? Problem)
{
    /// <summary>How long a node has to answer.</summary>
    public static readonly TimeSpan PerNode = TimeSpan.FromSeconds(2);

    public bool Up => Problem is null;

    /// <summary>Asks every node at once, each within 2 s.</summary>
    public static async Task<NodeStatus[]> PollAsync(NodeApi api, string app, IReadOnlyList<MeshNode> nodes, CancellationToken cancellation) =>
        await Task.WhenAll(nodes.Select(node => AskAsync(api, app, node, cancellation))).ConfigureAwait(false);

    private static async Task<NodeStatus> AskAsync(NodeApi api, string app, MeshNode node, CancellationToken cancellation)
    {
        var answer = await api.GetAsync(node, $"/apps/{app}/status", cancellation).ConfigureAwait(false);
        if (!answer.Up) return new NodeStatus(node.Name, 0, 0, string.Empty, null, null, answer.Problem);
        var body = answer.Body;
        return new NodeStatus(
            node.Name,
            NodeApi.Number(body, "state"),
            NodeApi.Number(body, "nextSlot"),
            NodeApi.Text(body, "digest") ?? string.Empty,
            NodeApi.Text(body, "standing"),
            NodeApi.Text(body, "leader"),
            null);
    }
}

/// <summary>Committed commands per second, from the change of the highest <c>state</c> any node reports.</summary>
internal sealed class CommitRate
{
    private readonly Stopwatch clock = new();
    private ulong? highest;

    /// <summary>The rate since the previous update; null on the first one or when no node answered.</summary>
    public double? Update(IReadOnlyList<NodeStatus> rows)
    {
        ulong? current = rows.Where(r => r.Up).Select(r => (ulong?)r.State).Max();
        if (current is null)
        {
            return null;
        }

        var elapsed = clock.Elapsed.TotalSeconds;
        var previous = highest;
        clock.Restart();
        // Highest ever seen: a lagging node answering alone must not count as negative progress.
        highest = previous is { } p && p > current ? p : current;
        return previous is { } before && elapsed > 0 ? (current.Value > before ? current.Value - before : 0) / elapsed : null;
    }
}

/// <summary>The status table: box drawing in a terminal, plain aligned columns otherwise.</summary>
internal static class StatusTable
{
    public static IRenderable Render(IReadOnlyList<NodeStatus> rows, string? title, bool plain)
    {
        // Spectre keeps box drawing when stdout is redirected (it only drops the colours): no border then.
        var table = new Table().Border(plain ? TableBorder.None : TableBorder.Rounded);

        if (title is not null)
        {
            table.Title(Markup.Escape(title));
        }

        var showProblems = rows.Any(r => !r.Up);
        table.AddColumns("node", "up", "state", plain ? "next-slot" : "next slot", "digest", "standing", "leader");
        if (showProblems)
        {
            table.AddColumn("problem");
        }

        foreach (var column in new[] { 2, 3 })
        {
            table.Columns[column].RightAligned();
        }

        if (plain)
        {
            // Columns two spaces apart (as 'state' prints them); without a border Spectre uses only the right padding.
            foreach (var column in table.Columns)
            {
                column.Padding(0, 0, 2, 0);
            }

            table.Columns[^1].Padding(0, 0, 0, 0);
        }

        foreach (var row in rows)
        {
            var cells = new List<IRenderable>
            {
                new Text(row.Node),
                row.Up ? new Markup("[green]up[/]") : new Markup("[red]down[/]"),
                new Text(!row.Up ? "-" : row.State.ToString(CultureInfo.InvariantCulture)),
                new Text(!row.Up ? "-" : row.NextSlot.ToString(CultureInfo.InvariantCulture)),
                new Text(!row.Up ? "-" : row.Digest.Length > 8 ? row.Digest[..8] : row.Digest),
                new Text(row.Standing ?? "-"),
                new Text(!row.Up ? "-" : row.Leader ?? "(none)"),
            };
            if (showProblems)
            {
                cells.Add(new Text(row.Problem ?? string.Empty));
            }

            table.AddRow(cells);
        }

        return table;
    }
}
