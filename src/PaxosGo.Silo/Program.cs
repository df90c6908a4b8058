using System.CommandLine;
using PaxosGo.Silo;

// paxosgo-silo: one PaxosGo node.
//   paxosgo-silo keygen --out PATH                      a new key (mode 0600; never overwritten): node, client and admin keys alike
//   paxosgo-silo mesh add --mesh PATH --name NAME ...   create the mesh file, or add / replace a node in it
//   paxosgo-silo run [--config PATH] [--Section:Key=value ...]   needs PaxosGo:Node, KeyFile, MeshFile and AdminPublicKey
// Exit codes: 0 done (or stopped cleanly), 1 the silo failed after it had started,
// 2 a usage, configuration or start-up error (one line on stderr).
var root = new RootCommand("paxosgo-silo: runs one PaxosGo node (an Orleans silo) and manages its key and the mesh file.");
root.Subcommands.Add(KeygenCommand.Create());
root.Subcommands.Add(MeshCommand.Create());
root.Subcommands.Add(RunCommand.Create());

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    return Cli.Fail($"{parse.Errors[0].Message} (see 'paxosgo-silo --help')");
}

// The host handles SIGINT / SIGTERM itself and shuts the silo down gracefully, so the parser must
// neither cancel nor kill the process on those signals.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
