using System.CommandLine;
using PaxosGo.Orleans.Identity;

namespace PaxosGo.Silo;

/// <summary><c>mesh add</c>: creates the mesh file, or adds or replaces one node in it.</summary>
internal static class MeshCommand
{
    public static Command Create()
    {
        var mesh = new Option<string>("--mesh") { Description = "The mesh file; created when it does not exist.", Required = true };
        var name = new Option<string>("--name") { Description = "The node's name (lowercase letters, digits and '-').", Required = true };
        var key = new Option<string>("--key") { Description = "The node's key file (only its public key is read into the mesh).", Required = true };
        var host = new Option<string>("--host") { Description = "The address the node listens on and is reached at.", Required = true };
        var siloPort = new Option<int>("--silo-port") { Description = "The Orleans silo-to-silo port.", Required = true };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "The Orleans client gateway port.", Required = true };
        var httpPort = new Option<int>("--http-port") { Description = "The HTTP API port.", Required = true };
        var dnsPort = new Option<int>("--dns-port") { Description = "The DNS port.", Required = true };

        var add = new Command("add", "Add the node to the mesh file (creating it), or replace the node of that name.")
        {
            mesh, name, key, host, siloPort, gatewayPort, httpPort, dnsPort,
        };
        add.SetAction(parse => Add(
            parse.GetValue(mesh)!,
            parse.GetValue(name)!,
            parse.GetValue(key)!,
            new MeshEndpoints(parse.GetValue(host)!, parse.GetValue(siloPort), parse.GetValue(gatewayPort), parse.GetValue(httpPort), parse.GetValue(dnsPort))));

        return new Command("mesh", "Edit the mesh file (every node's name, public key and endpoints).") { add };
    }

    private static int Add(string path, string name, string keyFile, MeshEndpoints endpoints)
    {
        try
        {
            var nodes = new List<MeshNode>();
            var replaced = false;
            if (File.Exists(path))
            {
                foreach (var node in Mesh.Load(path).Nodes)
                {
                    if (string.Equals(node.Name, name, StringComparison.Ordinal))
                    {
                        replaced = true;
                    }
                    else
                    {
                        nodes.Add(node);
                    }
                }
            }

            MeshNode entry;
            using (var key = NodeKey.Load(keyFile))
            {
                entry = MeshNode.For(name, key, endpoints);
            }

            nodes.Add(entry);
            var result = Mesh.Create(nodes);
            Write(path, result.ToJson());
            Console.WriteLine(
                $"{(replaced ? "replaced" : "added")} node '{name}' ({entry.NodeId[..12]}…, {endpoints.Host} silo {endpoints.SiloPort} gateway {endpoints.GatewayPort}) " +
                $"in {Path.GetFullPath(path)}: {result.Count} node{(result.Count == 1 ? string.Empty : "s")}");
            return 0;
        }
        catch (Exception e) when (e is MeshConfigurationException or NodeIdentityException)
        {
            return Cli.Fail(e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Cli.Fail($"cannot write the mesh file '{path}': {e.Message}");
        }
    }

    /// <summary>Replaces the file in one step, so a reader never sees half a mesh.</summary>
    private static void Write(string path, string json)
    {
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            File.WriteAllText(temporary, json);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
