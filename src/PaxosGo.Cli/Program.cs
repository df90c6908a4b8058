using System.CommandLine;
using PaxosGo.Cli;

// paxosgo: a small client for a PaxosGo cluster. register and submit find the cluster's gateways in the
// Azure Table clustering table (--storage, --cluster-id, --service-id, as the silos were started with)
// and connect over TLS as the key they sign with, checking the silos against the mesh file; state,
// status and watch read each node's HTTP port from the mesh file.
//   paxosgo keygen --out PATH                        a new client or administrator key (mode 0600)
//   paxosgo key show --key PATH                      a key's client id and public key
//   paxosgo register --app APP --mesh PATH --admin-key PATH (--client-key PATH | --client-public-key HEX) [--revoke]
//   paxosgo submit --app counter --mesh PATH --key PATH --request N [--payload TEXT | --add N] [--timeout S]
//   paxosgo state --app counter --mesh PATH [--linearizable]
//   paxosgo status --app counter --mesh PATH         a table of every node (plain text when redirected)
//   paxosgo watch --app counter --mesh PATH [--interval S]   the same table, refreshed until Ctrl-C
//   paxosgo zone put FILE [--name NAME] --mesh PATH --key PATH   store a zone file by content key, put it in the name server
//   paxosgo zone rm NAME --mesh PATH --key PATH / zone get NAME --mesh PATH / zone list --mesh PATH
// Exit codes: 0 done, 1 failed (no connection, not committed in time, unknown application, command
// rejected), 2 usage error or bad key file (watch: stdout not a terminal), 3 (state, status) some node did not answer. Errors are one line on stderr.
var connection = new ConnectionOptions();
var root = new RootCommand("paxosgo: manage client keys, register clients, submit signed commands to a PaxosGo cluster, manage the name server's zones and show every node's replica.");
connection.AddTo(root);
root.Subcommands.Add(KeyCommand.CreateKeygen());
root.Subcommands.Add(KeyCommand.CreateKey());
root.Subcommands.Add(RegisterCommand.Create(connection));
root.Subcommands.Add(SubmitCommand.Create(connection));
root.Subcommands.Add(StateCommand.Create());
root.Subcommands.Add(StatusCommand.CreateStatus());
root.Subcommands.Add(StatusCommand.CreateWatch());
root.Subcommands.Add(ZoneCommands.Create(connection));

var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    return Cli.Fail($"{parse.Errors[0].Message} (see 'paxosgo --help')", Cli.UsageError);
}

return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
