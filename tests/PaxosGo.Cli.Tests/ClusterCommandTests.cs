using System.Globalization;
using System.Text.RegularExpressions;
using PaxosGo.Cli.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PaxosGo.Cli.Tests;

/// <summary>
/// The <c>paxosgo</c> CLI against a running cluster: three real <c>paxosgo-silo</c> processes on
/// Azurite (<see cref="LocalCluster"/>, started once for the class). The tests of this class run one
/// after another, so between two CLI calls of a test only that test changes the cluster's state.
/// </summary>
public sealed partial class ClusterCommandTests : IClassFixture<LocalCluster>
{
    private const string App = LocalCluster.App;

    // Followers apply a chosen command shortly after the leader; give them time on a loaded CI machine.
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(20);

    private readonly LocalCluster _cluster;
    private readonly ITestOutputHelper _output;

    public ClusterCommandTests(LocalCluster cluster, ITestOutputHelper output)
    {
        _cluster = cluster;
        _output = output;
    }

    [Fact]
    public async Task Submit_WithARegisteredKey_ExecutesAndPrintsTheNewState()
    {
        var key = Path.Combine(_cluster.Directory, "submit-test.key");
        var keygen = await CliAsync("keygen", "--out", key);
        Assert.True(keygen.ExitCode == 0, keygen.ToString());
        var clientId = ClientIdLine().Match(keygen.Stdout).Groups[1].Value;

        var register = await CliOnClusterAsync("register", "--app", App, "--mesh", _cluster.MeshFile, "--admin-key", _cluster.AdminKey, "--client-key", key);

        AssertSucceededWithOneLine(register);
        var registered = RegisteredLine().Match(register.StdoutLines[0]);
        Assert.True(registered.Success, register.ToString());
        Assert.Equal(clientId, registered.Groups["client"].Value);
        Assert.Equal(App, registered.Groups["app"].Value);
        var stateAfterRegistration = ulong.Parse(registered.Groups["state"].Value, CultureInfo.InvariantCulture);

        var first = await SubmitAsync(key, request: 1, add: 5);
        var second = await SubmitAsync(key, request: 2, add: 7);

        // A registration counts in state like any command; each submit is one more.
        Assert.Equal(stateAfterRegistration + 1, first.State);
        Assert.Equal(stateAfterRegistration + 2, second.State);
        Assert.Equal(first.Total + 7, second.Total);
        Assert.Contains(first.Node, _cluster.Nodes);
    }

    [Fact]
    public async Task State_AfterACommittedSubmit_ShowsTheNewStateOnEveryNode()
    {
        var before = await WaitUntilNodesAgreeAsync(_ => true);

        var reply = await SubmitAsync(_cluster.ClientKey, _cluster.NextRequestId(), add: 3);

        Assert.Equal(before + 1, reply.State);
        var after = await WaitUntilNodesAgreeAsync(state => state == reply.State);
        Assert.Equal(reply.State, after);
    }

    [Fact]
    public async Task StateLinearizable_RightAfterASubmit_ShowsItOnEveryNodeWithoutWaiting()
    {
        var reply = await SubmitAsync(_cluster.ClientKey, _cluster.NextRequestId(), add: 1);

        // No polling: each node's answer comes after a read barrier, so it includes the acknowledged command.
        var states = await ReadStatesAsync(linearizable: true);

        Assert.Equal(3, states.Count);
        Assert.All(states.Values, state => Assert.True(state >= reply.State, $"state {state} is older than the acknowledged {reply.State}"));
    }

    [Fact]
    public async Task Submit_WithAnUnregisteredKey_CannotEvenConnect_FailsWithOneLine_AndChangesNoNode()
    {
        var key = Path.Combine(_cluster.Directory, "unregistered.key");
        Assert.Equal(0, (await CliAsync("keygen", "--out", key)).ExitCode);
        var before = await WaitUntilNodesAgreeAsync(_ => true);

        // Every gateway refuses the TLS connection of a key no application registered.
        var submit = await CliOnClusterAsync("submit", "--app", App, "--mesh", _cluster.MeshFile, "--key", key, "--request", "1", "--add", "1", "--timeout", "5");

        KeyCommandTests.AssertFailedWithOneLine(submit);
        Assert.Equal(1, submit.ExitCode);
        Assert.Contains("cannot connect", submit.StderrLines[0], StringComparison.Ordinal);
        Assert.Contains("registered clients", submit.StderrLines[0], StringComparison.Ordinal);
        var after = await ReadStatesAsync();
        Assert.All(after.Values, state => Assert.Equal(before, state));
    }

    [Fact]
    public async Task Register_SignedWithAKeyThatIsNotTheAdministrators_IsRejectedWithOneLine_AndChangesNoNode()
    {
        var impostor = Path.Combine(_cluster.Directory, "impostor.key");
        Assert.Equal(0, (await CliAsync("keygen", "--out", impostor)).ExitCode);
        var before = await WaitUntilNodesAgreeAsync(_ => true);

        // A registered client (it may connect) signs a registration of another key as if it were the administrator.
        var register = await CliOnClusterAsync("register", "--app", App, "--mesh", _cluster.MeshFile, "--admin-key", _cluster.ClientKey, "--client-key", impostor);

        KeyCommandTests.AssertFailedWithOneLine(register);
        Assert.Equal(1, register.ExitCode);
        Assert.Contains("rejected (bad-signature)", register.StderrLines[0], StringComparison.Ordinal);
        var after = await ReadStatesAsync();
        Assert.All(after.Values, state => Assert.Equal(before, state));
    }

    [Fact]
    public async Task Submit_OfTheSameRequestAgain_PrintsTheFirstResult_AndExecutesItOnce()
    {
        var request = _cluster.NextRequestId();
        var first = await SubmitAsync(_cluster.ClientKey, request, add: 11);

        var retry = await SubmitAsync(_cluster.ClientKey, request, add: 11);
        var next = await SubmitAsync(_cluster.ClientKey, _cluster.NextRequestId(), add: 1);

        Assert.Equal(first.State, retry.State);
        Assert.Equal(first.Total, retry.Total);
        Assert.Equal(first.State + 1, next.State);
        Assert.Equal(first.Total + 1, next.Total);
    }

    [Fact]
    public async Task Status_WithOutputRedirected_PrintsPlainTextNamingEveryNodeAndTheLeader()
    {
        // The cluster elected a leader when it registered its client; followers learn it from heartbeats.
        var deadline = DateTime.UtcNow + CatchUpTimeout;
        ProcessResult status;
        Dictionary<string, StatusRow> rows;
        string? leader;
        while (true)
        {
            status = await CliOnClusterAsync("status", "--app", App, "--mesh", _cluster.MeshFile);
            rows = ParseStatus(status);
            leader = AgreedLeader(rows);
            if (status.ExitCode == 0 && leader is not null)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, "the nodes did not agree on one leader:" + Environment.NewLine + status);
            await Task.Delay(500);
        }

        Assert.Empty(status.Stderr);
        // Plain text: no escape codes and no box drawing when stdout is not a terminal.
        Assert.DoesNotContain('\u001b', status.Stdout);
        Assert.DoesNotMatch(BoxDrawing(), status.Stdout);
        Assert.Matches(HeaderLine(), status.StdoutLines[0]);
        Assert.Equal(_cluster.Nodes.Count + 1, status.StdoutLines.Length);
        Assert.Equal(_cluster.Nodes, rows.Keys.Order(StringComparer.Ordinal));
        Assert.All(rows.Values, row => Assert.Equal("up", row.Up));
        Assert.Contains(leader, _cluster.Nodes);
    }

    /// <summary>The leader every row names, when they all name the same node and only that node's proposer stands as leader.</summary>
    private string? AgreedLeader(Dictionary<string, StatusRow> rows)
    {
        var named = rows.Values.Select(r => r.Leader).Distinct().ToArray();
        if (rows.Count != _cluster.Nodes.Count || named.Length != 1 || !rows.TryGetValue(named[0], out var leaderRow))
        {
            return null;
        }

        var standings = rows.Values.Where(r => r != leaderRow).Select(r => r.Standing);
        return leaderRow.Standing == "Leader" && standings.All(s => s == "Follower") ? named[0] : null;
    }

    [Fact]
    public async Task Submit_ToAClusterThatIsNotRunning_FailsWithOneLineNamingTheCluster()
    {
        // Same storage, but no silo ever ran under this cluster id.
        var submit = await CliAsync(
            "--storage", _cluster.Storage, "--cluster-id", "no-such-cluster", "--service-id", _cluster.ServiceId,
            "submit", "--app", App, "--mesh", _cluster.MeshFile, "--key", _cluster.ClientKey, "--request", _cluster.NextRequestId().ToString(CultureInfo.InvariantCulture),
            "--timeout", "3");

        KeyCommandTests.AssertFailedWithOneLine(submit);
        Assert.Equal(1, submit.ExitCode);
        Assert.Contains("no-such-cluster", submit.StderrLines[0], StringComparison.Ordinal);
        Assert.True(submit.Elapsed < TimeSpan.FromSeconds(30), submit.ToString());
    }

    [Theory]
    [InlineData("state")]
    [InlineData("status")]
    public async Task StateAndStatus_ForAnApplicationTheClusterDoesNotRun_FailWithOneLineNamingIt(string command)
    {
        // Every node answers, so this is not 'unreachable' (exit code 3) but a failed command (exit code 1).
        var result = await CliOnClusterAsync(command, "--app", "no-such-app", "--mesh", _cluster.MeshFile);

        KeyCommandTests.AssertFailedWithOneLine(result);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not run 'no-such-app'", result.StderrLines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASiloWithTheStorageConnectionStringButNoNodeKey_CannotJoin_AndChangesNoNode()
    {
        var before = await WaitUntilNodesAgreeAsync(_ => true);

        // A real paxosgo-silo that calls itself node-a, with a key (and a mesh file) of its own.
        using var rogue = await _cluster.StartNonMemberAsync("node-a");
        try
        {
            // It writes itself into the membership table and dials the members; they refuse its TLS certificate.
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (DateTime.UtcNow < deadline && !_cluster.MemberLogs().Contains("which is no node of the mesh", StringComparison.Ordinal))
            {
                await Task.Delay(500);
            }

            _output.WriteLine(rogue.Log());
            Assert.Contains("refused a TLS silo-inbound connection", _cluster.MemberLogs(), StringComparison.Ordinal);
            Assert.DoesNotContain("is up", rogue.Log(), StringComparison.Ordinal);

            // Nothing moved, and the members go on without it.
            var after = await ReadStatesAsync();
            Assert.All(after.Values, state => Assert.Equal(before, state));
            var reply = await SubmitAsync(_cluster.ClientKey, _cluster.NextRequestId(), add: 1);
            Assert.Equal(before + 1, reply.State);
            Assert.DoesNotContain("is up", rogue.Log(), StringComparison.Ordinal);
        }
        finally
        {
            rogue.RequestStop();
            await rogue.WaitForExitAsync(TimeSpan.FromSeconds(30));
        }
    }

    private async Task<(ulong State, string Node, ulong Total)> SubmitAsync(string key, ulong request, ulong add)
    {
        var submit = await CliOnClusterAsync(
            "submit", "--app", App, "--mesh", _cluster.MeshFile, "--key", key, "--request", request.ToString(CultureInfo.InvariantCulture), "--add", add.ToString(CultureInfo.InvariantCulture));

        AssertSucceededWithOneLine(submit);
        var reply = CliOutput.ReplyLine().Match(submit.StdoutLines[0]);
        Assert.True(reply.Success, submit.ToString());
        return (
            ulong.Parse(reply.Groups["state"].Value, CultureInfo.InvariantCulture),
            reply.Groups["node"].Value,
            ulong.Parse(reply.Groups["total"].Value, CultureInfo.InvariantCulture));
    }

    /// <summary>Every node's <c>state</c>, from <c>paxosgo state</c> (which must answer for every node).</summary>
    private async Task<Dictionary<string, ulong>> ReadStatesAsync(bool linearizable = false)
    {
        var result = linearizable
            ? await CliOnClusterAsync("state", "--app", App, "--mesh", _cluster.MeshFile, "--linearizable")
            : await CliOnClusterAsync("state", "--app", App, "--mesh", _cluster.MeshFile);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Empty(result.Stderr);
        var states = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in result.StdoutLines)
        {
            var match = CliOutput.StateLine().Match(line);
            Assert.True(match.Success, $"unexpected line '{line}':{Environment.NewLine}{result}");
            states.Add(match.Groups["node"].Value, ulong.Parse(match.Groups["state"].Value, CultureInfo.InvariantCulture));
        }

        Assert.Equal(_cluster.Nodes, states.Keys);
        return states;
    }

    /// <summary>Reads every node's state until all nodes show the same one and it satisfies <paramref name="wanted"/>; returns it.</summary>
    private async Task<ulong> WaitUntilNodesAgreeAsync(Func<ulong, bool> wanted)
    {
        var deadline = DateTime.UtcNow + CatchUpTimeout;
        while (true)
        {
            var states = await ReadStatesAsync();
            var distinct = states.Values.Distinct().ToArray();
            if (distinct.Length == 1 && wanted(distinct[0]))
            {
                return distinct[0];
            }

            Assert.True(
                DateTime.UtcNow < deadline,
                $"the nodes did not agree within {CatchUpTimeout.TotalSeconds:0} s: {string.Join(", ", states.Select(s => $"{s.Key}={s.Value}"))}");
            await Task.Delay(250);
        }
    }

    private static Dictionary<string, StatusRow> ParseStatus(ProcessResult status)
    {
        var rows = new Dictionary<string, StatusRow>(StringComparer.Ordinal);
        foreach (var line in status.StdoutLines.Skip(1))
        {
            // node  up  state  next-slot  digest  standing  leader
            var cells = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cells.Length >= 7)
            {
                rows[cells[0]] = new StatusRow(cells[0], cells[1], cells[5], cells[6]);
            }
        }

        return rows;
    }

    private static void AssertSucceededWithOneLine(ProcessResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(result.Stderr.Length == 0, "stderr should be empty:" + Environment.NewLine + result);
        Assert.True(result.StdoutLines.Length == 1, "stdout should be one line:" + Environment.NewLine + result);
    }

    private async Task<ProcessResult> CliAsync(params string[] args)
    {
        var result = await _cluster.RunCliAsync(args);
        _output.WriteLine(result.ToString());
        return result;
    }

    private async Task<ProcessResult> CliOnClusterAsync(params string[] args)
    {
        var result = await _cluster.RunCliOnClusterAsync(args);
        _output.WriteLine(result.ToString());
        return result;
    }

    private sealed record StatusRow(string Node, string Up, string Standing, string Leader);

    [GeneratedRegex(@"^client id:\s+([0-9a-f]{64})\s*$", RegexOptions.Multiline)]
    private static partial Regex ClientIdLine();

    [GeneratedRegex(@"^registered (?<client>[0-9a-f]{64}) for (?<app>\S+) \(state=(?<state>\d+)\)$")]
    private static partial Regex RegisteredLine();

    [GeneratedRegex(@"^node\s+up\s+state\s+next-slot\s+digest\s+standing\s+leader$")]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"[\u2500-\u257F]")]
    private static partial Regex BoxDrawing();
}
