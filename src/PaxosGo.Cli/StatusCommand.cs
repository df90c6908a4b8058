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
/// <c>status</c>: one table, a row per mesh node: up/down (its learner answered within 2 s), replica
/// state, next slot, digest, and its proposer's standing and known leader. <c>watch</c>: the same table,
/// refreshed in place until Ctrl-C, with the committed commands per second.
/// </summary>
internal static class StatusCommand
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    public static Command CreateStatus(ConnectionOptions connection)
    {
        var (app, mesh) = CommonOptions();
        var command = new Command(
            "status",
            "Print a table of every mesh node: up/down (learner answered within 2 s), state, next slot, digest, proposer standing and the leader it knows. " +
            "Plain text when stdout is redirected. Exit code 3 when a node did not answer.")
        {
            app, mesh,
        };
        command.SetAction((parse, cancellation) => StatusAsync(connection.Read(parse), parse.GetValue(app)!, parse.GetValue(mesh)!, cancellation));
        return command;
    }

    public static Command CreateWatch(ConnectionOptions connection)
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
            connection.Read(parse), parse.GetValue(app)!, parse.GetValue(mesh)!, TimeSpan.FromSeconds(parse.GetValue(interval)), cancellation));
        return command;
    }

    private static (Option<string> App, Option<string> Mesh) CommonOptions() =>
        (new Option<string>("--app") { Description = "The application.", DefaultValueFactory = _ => "counter" },
         new Option<string>("--mesh") { Description = "The mesh file (lists the nodes).", Required = true });

    private static async Task<int> StatusAsync(ClusterAddress address, string app, string meshFile, CancellationToken cancellation)
    {
        try
        {
            var names = LoadNodes(app, meshFile);
            await using var connection = await ClusterConnection.ConnectAsync(address, DateTime.UtcNow + ConnectTimeout, cancellation).ConfigureAwait(false);
            var rows = await NodeStatus.PollAsync(connection.Client, app, names, cancellation).ConfigureAwait(false);
            var console = CreateConsole();
            console.Write(StatusTable.Render(rows, title: null, plain: Console.IsOutputRedirected));
            return rows.All(r => r.Up) ? 0 : Cli.SomeUnreachable;
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }
    }

    private static async Task<int> WatchAsync(ClusterAddress address, string app, string meshFile, TimeSpan interval, CancellationToken cancellation)
    {
        if (Console.IsOutputRedirected)
        {
            return Cli.Fail("watch needs a terminal; use status", Cli.UsageError);
        }

        try
        {
            var names = LoadNodes(app, meshFile);
            await using var connection = await ClusterConnection.ConnectAsync(address, DateTime.UtcNow + ConnectTimeout, cancellation).ConfigureAwait(false);
            var console = CreateConsole();
            var rate = new CommitRate();
            var rows = await NodeStatus.PollAsync(connection.Client, app, names, cancellation).ConfigureAwait(false);
            var live = new LiveDisplay(console, StatusTable.Render(rows, Title(app, rate.Update(rows)), plain: false)) { AutoClear = false };
            await live.StartAsync(async context =>
            {
                while (true)
                {
                    await Task.Delay(interval, cancellation).ConfigureAwait(false);
                    rows = await NodeStatus.PollAsync(connection.Client, app, names, cancellation).ConfigureAwait(false);
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

    /// <summary>The mesh's node names, sorted; checks the application name first.</summary>
    /// <exception cref="CliException">The application name or the mesh file is invalid (exit code 2).</exception>
    private static string[] LoadNodes(string app, string meshFile)
    {
        if (!GrainKeys.IsValidName(app))
        {
            throw new CliException($"'{app}' is not an application name ({GrainKeys.NamePattern})", Cli.UsageError);
        }

        try
        {
            return Mesh.Load(meshFile).Nodes.Select(n => n.Name).Order(StringComparer.Ordinal).ToArray();
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

/// <summary>What one node's learner and proposer said (or why they did not).</summary>
internal sealed record NodeStatus(string Node, LearnerStatusReport? Learner, ProposerStatus? Proposer, string? Problem)
{
    private static readonly TimeSpan PerNode = TimeSpan.FromSeconds(2);

    public bool Up => Learner is not null;

    /// <summary>Asks every node's learner and proposer at once, each within 2 s.</summary>
    public static async Task<NodeStatus[]> PollAsync(IClusterClient client, string app, IReadOnlyList<string> names, CancellationToken cancellation) =>
        await Task.WhenAll(names.Select(name => AskAsync(client, app, name, cancellation))).ConfigureAwait(false);

    private static async Task<NodeStatus> AskAsync(IClusterClient client, string app, string node, CancellationToken cancellation)
    {
        var key = GrainKeys.For(app, node);
        var learner = AskAsync(client.GetGrain<ILearnerGrain>(key).GetStatus(), cancellation);
        var proposer = AskAsync(client.GetGrain<IProposerGrain>(key).GetStatus(), cancellation);
        var (learnerStatus, problem) = await learner.ConfigureAwait(false);
        var (proposerStatus, _) = await proposer.ConfigureAwait(false);
        return new NodeStatus(node, learnerStatus, proposerStatus, problem);
    }

    private static async Task<(T? Status, string? Problem)> AskAsync<T>(Task<T> call, CancellationToken cancellation)
        where T : class
    {
        try
        {
            return (await call.WaitAsync(PerNode, cancellation).ConfigureAwait(false), null);
        }
        catch (TimeoutException)
        {
            return (null, string.Create(CultureInfo.InvariantCulture, $"no answer within {PerNode.TotalSeconds:0} s"));
        }
        catch (UnknownApplicationException e)
        {
            // The node answered: the cluster does not run this application (exit code 1, not 'down').
            throw new CliException(e.Message, e);
        }
        catch (Exception e) when (!cancellation.IsCancellationRequested)
        {
            return (null, ErrorText.Describe(e));
        }
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
        ulong? current = rows.Where(r => r.Up).Select(r => (ulong?)r.Learner!.State).Max();
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
            var learner = row.Learner;
            var cells = new List<IRenderable>
            {
                new Text(row.Node),
                row.Up ? new Markup("[green]up[/]") : new Markup("[red]down[/]"),
                new Text(learner is null ? "-" : learner.State.ToString(CultureInfo.InvariantCulture)),
                new Text(learner is null ? "-" : learner.NextSlot.ToString(CultureInfo.InvariantCulture)),
                new Text(learner is null ? "-" : learner.Digest.Length > 8 ? learner.Digest[..8] : learner.Digest),
                new Text(row.Proposer?.Standing ?? "-"),
                new Text(row.Proposer is null ? "-" : row.Proposer.Leader ?? "(none)"),
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
