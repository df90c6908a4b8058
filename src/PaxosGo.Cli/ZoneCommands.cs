using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs;
using PaxosGo.NameServer;
using PaxosGo.NameServer.Storage;
using PaxosGo.NameServer.Zones;
using PaxosGo.Orleans.Grains;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Cli;

/// <summary>
/// <c>zone put|rm|get|list</c>: the name server's zones. A put checks the file here, stores it in blob
/// storage under its SHA-256 and then submits the put (name, hash) as the client; the entry node checks
/// the stored file again before anything is proposed. get and list read each node's HTTP API.
/// </summary>
internal static class ZoneCommands
{
    private const string DefaultApplication = "dns";
    private static readonly TimeSpan PerNode = TimeSpan.FromSeconds(10);

    public static Command Create(ConnectionOptions connection)
    {
        var zone = new Command("zone", "The name server's zones: put a zone file, remove a zone, show what the nodes serve.");
        zone.Subcommands.Add(CreatePut(connection));
        zone.Subcommands.Add(CreateRemove(connection));
        zone.Subcommands.Add(CreateGet());
        zone.Subcommands.Add(CreateList());
        return zone;
    }

    private static Option<string> AppOption() => new("--app") { Description = "The name server's application.", DefaultValueFactory = _ => DefaultApplication };

    private static Option<string> KeyOption() => new("--key")
    {
        Description = "The client's key file; the client must be registered for the name server's application.",
        Required = true,
    };

    private static Option<int> TimeoutOption()
    {
        var timeout = new Option<int>("--timeout") { Description = "Seconds to keep retrying before giving up.", DefaultValueFactory = _ => 30 };
        timeout.Validators.Add(Timeouts.Validate);
        return timeout;
    }

    private static Option<string> ContainerOption() => new("--container")
    {
        Description = "The blob container zone files are stored in (as the silos were started with).",
        DefaultValueFactory = _ => ZoneFileStore.DefaultContainer,
    };

    private static Command CreatePut(ConnectionOptions connection)
    {
        var file = new Argument<string>("FILE") { Description = "The zone file (RFC 1035 master-file format)." };
        var name = new Option<string?>("--name") { Description = "The zone's name; default: the file's $ORIGIN, else its file name without .zone/.db/.txt." };
        var (app, key, mesh, timeout, container) = (AppOption(), KeyOption(), MeshFiles.Option(), TimeoutOption(), ContainerOption());
        var command = new Command("put", "Check a zone file, store it by content key and put it in the replicated zone map; print what the map did: added or replaced.")
        {
            file, name, app, key, mesh, timeout, container,
        };
        command.SetAction((parse, cancellation) => PutAsync(
            connection.Read(parse), parse.GetValue(file)!, parse.GetValue(name), parse.GetValue(app)!, parse.GetValue(key)!, parse.GetValue(mesh)!,
            TimeSpan.FromSeconds(parse.GetValue(timeout)), parse.GetValue(container)!, cancellation));
        return command;
    }

    private static Command CreateRemove(ConnectionOptions connection)
    {
        var name = new Argument<string>("NAME") { Description = "The zone." };
        var (app, key, mesh, timeout) = (AppOption(), KeyOption(), MeshFiles.Option(), TimeoutOption());
        var command = new Command("rm", "Remove a zone from the replicated zone map (exit 1 when the map did not hold it).")
        {
            name, app, key, mesh, timeout,
        };
        command.SetAction((parse, cancellation) =>
        {
            if (ZoneName.Normalize(parse.GetValue(name), out var error) is not { } zoneName) return Task.FromResult(Cli.Fail(error, Cli.UsageError));
            return SubmitAsync(connection.Read(parse), parse.GetValue(app)!, parse.GetValue(key)!, parse.GetValue(mesh)!, ZoneCommand.Delete(zoneName), null, TimeSpan.FromSeconds(parse.GetValue(timeout)), cancellation);
        });
        return command;
    }

    private static Command CreateGet()
    {
        var name = new Argument<string>("NAME") { Description = "The zone." };
        var (app, mesh) = (AppOption(), new Option<string>("--mesh") { Description = "The mesh file (lists the nodes).", Required = true });
        var command = new Command("get", "Print what every node serves for a zone: <node>  serial=<n> records=<n> file=<hash>, or why not. Exit 1 when a node lacks the zone, 3 when one did not answer.")
        {
            name, app, mesh,
        };
        command.SetAction((parse, cancellation) =>
        {
            if (ZoneName.Normalize(parse.GetValue(name), out var error) is not { } zoneName) return Task.FromResult(Cli.Fail(error, Cli.UsageError));
            return ReadNodesAsync(parse.GetValue(mesh)!, $"/apps/{parse.GetValue(app)}/zones/{zoneName}", parse.GetValue(app)!, static body => [Describe(body.GetProperty("zone"))], cancellation);
        });
        return command;
    }

    private static Command CreateList()
    {
        var (app, mesh) = (AppOption(), new Option<string>("--mesh") { Description = "The mesh file (lists the nodes).", Required = true });
        var command = new Command("list", "Print every zone every node holds: <node>  <zone>  serial=<n> records=<n> file=<hash>, or why it is not served. Exit 3 when a node did not answer.")
        {
            app, mesh,
        };
        command.SetAction((parse, cancellation) => ReadNodesAsync(
            parse.GetValue(mesh)!, $"/apps/{parse.GetValue(app)}/zones", parse.GetValue(app)!,
            static body => body.GetProperty("zones").EnumerateArray().Select(z => $"{z.GetProperty("name").GetString()}  {Describe(z)}").DefaultIfEmpty("(no zones)").ToList(),
            cancellation));
        return command;
    }

    private static async Task<int> PutAsync(
        ClusterAddress address, string file, string? name, string app, string keyFile, string meshFile, TimeSpan timeout, string container, CancellationToken cancellation)
    {
        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(file, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Cli.Fail($"cannot read '{file}': {e.Message}", Cli.UsageError);
        }

        if (content.Length is 0 or > ZoneFileStore.MaxZoneFileBytes)
        {
            return Cli.Fail($"'{file}' is {content.Length} bytes; a zone file is 1 to {ZoneFileStore.MaxZoneFileBytes}", Cli.UsageError);
        }

        name ??= OriginOf(content) ?? NameOf(file);
        if (ZoneName.Normalize(name, out var error) is not { } zoneName) return Cli.Fail($"zone name '{name}': {error}", Cli.UsageError);
        var zone = ZoneFile.Parse(zoneName, content, out error);
        if (zone is null) return Cli.Fail($"'{file}' is not a valid zone file for {zoneName}: {error}", Cli.UsageError);

        byte[] hash;
        try
        {
            var store = new ZoneFileStore(new BlobServiceClient(address.Storage).GetBlobContainerClient(container));
            hash = await store.PutAsync(content, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or Azure.RequestFailedException or InvalidOperationException or AggregateException)
        {
            return Cli.Fail($"could not store the zone file: {e.Message}");
        }

        string detail = string.Create(CultureInfo.InvariantCulture, $"serial {zone.Soa.SerialNumber}, {zone.Records.Count} records, file {Convert.ToHexStringLower(hash)[..16]}");
        return await SubmitAsync(address, app, keyFile, meshFile, ZoneCommand.Put(zoneName, hash), detail, timeout, cancellation).ConfigureAwait(false);
    }

    private static async Task<int> SubmitAsync(
        ClusterAddress address, string app, string keyFile, string meshFile, ZoneCommand zone, string? detail, TimeSpan timeout, CancellationToken cancellation)
    {
        if (!GrainKeys.IsValidName(app)) return Cli.Fail($"'{app}' is not an application name ({GrainKeys.NamePattern})", Cli.UsageError);
        NodeKey key;
        Mesh mesh;
        try
        {
            key = KeyFiles.Load(keyFile, "--key");
            try
            {
                mesh = MeshFiles.Load(meshFile);
            }
            catch
            {
                key.Dispose();
                throw;
            }
        }
        catch (CliException e)
        {
            return Cli.Fail(e.Message, e.ExitCode);
        }

        using (key)
        {
            var command = new PaxosGo.Orleans.Commands.CommandSigner(key).Sign(app, KeyFiles.AdminRequestId(), zone.Encode());
            int exit = 0;
            int code = await Submission.RunAsync(address, key, mesh, command, timeout, reply =>
            {
                var outcome = reply.Output is [var b] ? (ZoneOutcome)b : ZoneOutcome.Malformed;
                if (outcome is ZoneOutcome.NotFound or ZoneOutcome.Malformed) exit = Cli.Failed;
                string what = outcome switch
                {
                    ZoneOutcome.Added => "added",
                    ZoneOutcome.Replaced => "replaced",
                    ZoneOutcome.Deleted => "removed",
                    ZoneOutcome.NotFound => "was not in the zone map; nothing changed",
                    _ => "was refused by the replicas as malformed",
                };
                return string.Create(CultureInfo.InvariantCulture, $"zone {zone.Name} {what}{(detail is null ? string.Empty : $" ({detail})")}: state={reply.State} node={reply.Node}");
            }, cancellation).ConfigureAwait(false);
            return code != 0 ? code : exit;
        }
    }

    private static async Task<int> ReadNodesAsync(string meshFile, string path, string app, Func<JsonElement, IReadOnlyList<string>> describe, CancellationToken cancellation)
    {
        if (!GrainKeys.IsValidName(app)) return Cli.Fail($"'{app}' is not an application name ({GrainKeys.NamePattern})", Cli.UsageError);
        Mesh mesh;
        try
        {
            mesh = Mesh.Load(meshFile);
        }
        catch (MeshConfigurationException e)
        {
            return Cli.Fail(e.Message, Cli.UsageError);
        }

        using var http = NodeApi.CreateClient(PerNode);
        var api = new NodeApi(http);
        var nodes = mesh.Nodes.OrderBy(n => n.Name, StringComparer.Ordinal).ToArray();
        var answers = await Task.WhenAll(nodes.Select(n => api.GetAsync(n, path, cancellation))).ConfigureAwait(false);
        int width = nodes.Max(n => n.Name.Length);
        int exit = 0;
        foreach (var answer in answers)
        {
            if (answer.Up)
            {
                foreach (var line in describe(answer.Body!.Value)) Console.WriteLine($"{answer.Node.PadRight(width)}  {line}");
                continue;
            }

            Console.WriteLine($"{answer.Node.PadRight(width)}  {answer.Problem}");
            exit = Math.Max(exit, answer.Problem?.StartsWith("HTTP 404", StringComparison.Ordinal) == true ? Cli.Failed : Cli.SomeUnreachable);
        }

        return exit;
    }

    private static string Describe(JsonElement zone)
    {
        string? serving = zone.GetProperty("servingHash").GetString();
        string? error = zone.GetProperty("error").GetString();
        string served = serving is null
            ? "not served"
            : string.Create(CultureInfo.InvariantCulture, $"serial={zone.GetProperty("serial").GetUInt32()} records={zone.GetProperty("records").GetInt32()} file={serving[..16]}");
        return error is null ? served : $"{served}  refused file {zone.GetProperty("hash").GetString()![..16]}: {error}";
    }

    /// <summary>The <c>$ORIGIN</c> a zone file starts with, if any.</summary>
    private static string? OriginOf(byte[] content)
    {
        using var reader = new StringReader(System.Text.Encoding.UTF8.GetString(content));
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith(';')) continue;
            if (!trimmed.StartsWith("$ORIGIN", StringComparison.OrdinalIgnoreCase)) return null;
            var parts = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return parts.Length > 1 ? parts[1] : null;
        }

        return null;
    }

    private static string NameOf(string file)
    {
        string name = Path.GetFileName(file);
        foreach (var extension in new[] { ".zone", ".db", ".txt" })
        {
            if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)) return name[..^extension.Length];
        }

        return name;
    }
}
