using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using PaxosGo.Bench;
using PaxosGo.Core.Simulation;

// Benchmarks print one JSON line per measurement. Run with: dotnet run -c Release --project bench/PaxosGo.Bench -- <bench> [options]
var root = new RootCommand("PaxosGo benchmarks; each prints JSON lines.");

var schedules = new Option<int>("--schedules") { Description = "Simulated schedules to run.", DefaultValueFactory = _ => 20_000 };
var firstSeed = new Option<ulong>("--first-seed") { Description = "Seed of the first schedule.", DefaultValueFactory = _ => 1 };
var simulator = new Command("simulator", "Fault-schedule simulator throughput (schedules per second, all cores).") { schedules, firstSeed };
simulator.SetAction(parse =>
{
    var batch = SimRunner.RunMany(parse.GetValue(firstSeed), parse.GetValue(schedules));
    Emit(new
    {
        bench = "simulator",
        schedules = batch.Schedules,
        seconds = Math.Round(batch.Elapsed.TotalSeconds, 2),
        schedules_per_second = Math.Round(batch.SchedulesPerSecond),
        events_per_second = Math.Round(batch.Events / batch.Elapsed.TotalSeconds),
        commands_acknowledged = batch.Acked,
        failed = batch.Failures.Count,
        cores = Environment.ProcessorCount,
    });
    return batch.Failures.Count == 0 ? 0 : 1;
});

var commands = new Option<int>("--commands") { Description = "Commands to commit.", DefaultValueFactory = _ => 500_000 };
var clients = new Option<int>("--clients") { Description = "Closed-loop clients, one command in flight each.", DefaultValueFactory = _ => 64 };
var nodes = new Option<int>("--nodes") { Description = "Cluster size.", DefaultValueFactory = _ => 3 };
var batchSize = new Option<int>("--batch") { Description = "Proposer MaxBatch.", DefaultValueFactory = _ => 64 };
var window = new Option<int>("--window") { Description = "Proposer Window.", DefaultValueFactory = _ => 16 };
var core = new Command("core", "Commands per second through the pure core on one thread: every engine of every node, no I/O, no faults.")
{
    commands, clients, nodes, batchSize, window,
};
core.SetAction(parse =>
{
    var run = new CoreThroughput(parse.GetValue(nodes), parse.GetValue(clients), parse.GetValue(batchSize), parse.GetValue(window));
    run.Run(Math.Min(20_000, parse.GetValue(commands))); // warm-up (JIT), not recorded
    var stopwatch = Stopwatch.StartNew();
    var measured = new CoreThroughput(parse.GetValue(nodes), parse.GetValue(clients), parse.GetValue(batchSize), parse.GetValue(window));
    long slots = measured.Run(parse.GetValue(commands));
    stopwatch.Stop();
    Emit(new
    {
        bench = "core",
        nodes = parse.GetValue(nodes),
        clients = parse.GetValue(clients),
        batch = parse.GetValue(batchSize),
        window = parse.GetValue(window),
        commands = parse.GetValue(commands),
        slots,
        seconds = Math.Round(stopwatch.Elapsed.TotalSeconds, 2),
        commands_per_second = Math.Round(parse.GetValue(commands) / stopwatch.Elapsed.TotalSeconds),
        us_per_command = Math.Round(stopwatch.Elapsed.TotalMicroseconds / parse.GetValue(commands), 2),
    });
    return 0;
});

var storage = new Option<string>("--storage") { Description = "Storage connection string of the cluster.", DefaultValueFactory = _ => "UseDevelopmentStorage=true" };
var clusterId = new Option<string>("--cluster-id") { Description = "Orleans cluster id.", DefaultValueFactory = _ => "local" };
var serviceId = new Option<string>("--service-id") { Description = "Orleans service id.", DefaultValueFactory = _ => "local" };
var application = new Option<string[]>("--app")
{
    Description = "Application(s); with several (--app counter app0002 ...), load client c works on the c-th modulo their number.",
    DefaultValueFactory = _ => ["counter"],
    AllowMultipleArgumentsPerToken = true,
};
var applicationCount = new Option<int>("--apps")
{
    Description = "Instead of --app: the first N applications deploy/local-cluster.sh names when PAXOSGO_PaxosGo__Applications lists counter,app0002,app0003,...",
    DefaultValueFactory = _ => 0,
};
var adminKey = new Option<string>("--admin-key")
{
    Description = "The administrator's key file (the silos' PaxosGo:AdminPublicKey); it registers one fresh in-memory key per load client.",
    Required = true,
};
var meshFile = new Option<string>("--mesh")
{
    Description = "The cluster's mesh file (the bench connects over TLS as the administrator and checks the silos against it).",
    Required = true,
};
var loadClients = new Option<int[]>("--clients")
{
    Description = "Closed-loop clients; several levels (--clients 1 16 64 256) give one JSON line each.",
    DefaultValueFactory = _ => [1],
    AllowMultipleArgumentsPerToken = true,
};
var watch = new Option<string[]>("--watch") { Description = "More processes whose CPU to report, as name=pid or name=pidfile.", DefaultValueFactory = _ => [] };
var totalCommands = new Option<long>("--commands")
{
    Description = "Instead of --seconds: run until this many commands committed, and report the throughput of the first and the last tenth.",
    DefaultValueFactory = _ => 0,
};
var clusterDir = new Option<string>("--cluster-dir")
{
    Description = "deploy/local-cluster.sh's folder: the CPU of its silos (run/node-*.pid) and Azurite is reported per level.",
    DefaultValueFactory = _ => "deploy/.local",
};
var seconds = new Option<int>("--seconds") { Description = "Measured seconds (after 2 s of warm-up).", DefaultValueFactory = _ => 10 };
var auth = new Option<string>("--auth") { Description = "How clients authenticate commands: session (a MAC per command) or signed (an Ed25519 signature each).", DefaultValueFactory = _ => "session" };
auth.AcceptOnlyFromAmong("session", "signed");
var cluster = new Command("cluster", "Committed commands per second and latency against a running cluster (deploy/local-cluster.sh).")
{
    storage, clusterId, serviceId, application, applicationCount, adminKey, meshFile, loadClients, seconds, auth, watch, clusterDir, totalCommands,
};
cluster.SetAction(async (parse, cancellation) =>
{
    try
    {
        var cpu = ProcessCpu.Find(parse.GetValue(watch)!, parse.GetValue(clusterDir));
        int count = parse.GetValue(applicationCount);
        string[] applications = count > 0
            ? Enumerable.Range(1, count).Select(i => i == 1 ? "counter" : $"app{i:D4}").ToArray()
            : parse.GetValue(application)!;
        foreach (int level in parse.GetValue(loadClients)!)
        {
            Emit(await ClusterLoad.RunAsync(
                parse.GetValue(storage)!, parse.GetValue(clusterId)!, parse.GetValue(serviceId)!, applications,
                parse.GetValue(adminKey)!, parse.GetValue(meshFile)!, level, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(parse.GetValue(seconds)),
                parse.GetValue(auth) == "session", cpu, parse.GetValue(totalCommands)));
        }

        return 0;
    }
    catch (Exception e) when (e is InvalidOperationException or PaxosGo.Orleans.Identity.NodeIdentityException or PaxosGo.Orleans.Identity.MeshConfigurationException)
    {
        Console.Error.WriteLine("cluster: " + e.Message);
        return 1;
    }
});

var journalKind = new Option<PaxosGo.Orleans.Storage.JournalStorage>("--journal") { Description = "Table or AppendBlob.", DefaultValueFactory = _ => PaxosGo.Orleans.Storage.JournalStorage.Table };
var writers = new Option<int>("--writers") { Description = "Node journals writing at once, one write in flight each.", DefaultValueFactory = _ => 2 };
var voteBytes = new Option<int>("--bytes") { Description = "Command bytes in each write's vote.", DefaultValueFactory = _ => 1024 };
var journal = new Command("journal", "Journal write latency and the storage's CPU per write, through the product's journals (Azurite: --watch azurite=azurite/.azurite.pid).")
{
    storage, journalKind, writers, voteBytes, seconds, watch,
};
journal.SetAction(async (parse, cancellation) =>
{
    var cpu = ProcessCpu.Find(parse.GetValue(watch)!, null);
    Emit(await JournalWrites.RunAsync(
        parse.GetValue(storage)!, parse.GetValue(journalKind), parse.GetValue(writers), parse.GetValue(voteBytes),
        TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(parse.GetValue(seconds)), cpu));
    return 0;
});

root.Subcommands.Add(simulator);
root.Subcommands.Add(journal);
root.Subcommands.Add(cluster);
root.Subcommands.Add(core);
return await root.Parse(args).InvokeAsync();

static void Emit(object line) => Console.WriteLine(JsonSerializer.Serialize(line));
