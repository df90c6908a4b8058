using System.Globalization;
using PaxosGo.Cli.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PaxosGo.Cli.Tests;

/// <summary>
/// A node whose silo stops answering (SIGSTOP: its sockets stay open, so Orleans keeps it an Active
/// member until its failure detector declares it dead) must not stop the other two from committing.
/// Three real <c>paxosgo-silo</c> processes on Azurite, a cluster of this class's own.
/// </summary>
public sealed class FrozenNodeTests(LocalCluster cluster, ITestOutputHelper output) : IClassFixture<LocalCluster>
{
    private const string App = LocalCluster.App;
    private static readonly TimeSpan CatchUpTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AFollowerThatFreezes_DoesNotStopTheOtherTwo_WhichCommitWhileItIsStillAnActiveMember_AndItCatchesUpWhenItThaws()
    {
        ulong before = (await SubmitAsync(cluster.NextRequestId())).State;
        var status = await CliAsync([.. cluster.ConnectionArguments, "status", "--app", App, "--mesh", cluster.MeshFile]);
        Assert.True(status.ExitCode == 0, status.ToString());
        // node  up  state  next-slot  digest  standing  leader
        string leader = status.StdoutLines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).First(c => c.Length >= 7 && c[6] != "-")[6];
        string victim = cluster.Nodes.Last(n => n != leader);

        var silo = cluster.SiloOf(victim);
        silo.Freeze();
        try
        {
            // Through the two live nodes' gateways: every CLI run is a new Orleans client, which would
            // otherwise also try the frozen node's gateway (Active in the clustering table), whose TLS
            // handshake never completes; that costs the client 10 s or more per try, whatever the
            // cluster does, and is not what this test is about.
            string[] via = ["--via", string.Join(',', cluster.Nodes.Where(n => n != victim))];
            var replies = new List<ulong>();
            for (int i = 0; i < 3; i++) replies.Add((await SubmitAsync(cluster.NextRequestId(), via)).State);
            Assert.Equal([before + 1, before + 2, before + 3], replies);

            // Committed by the two live nodes while membership still counted the frozen one Active:
            // nothing between them waited on it (Orleans' default grain directory would have).
            Assert.Equal("Active", await cluster.MembershipStatusAsync(victim));
        }
        finally
        {
            silo.Thaw();
        }

        // Back, the node learns what it missed (unless it was declared dead meanwhile: then it stops,
        // and the two others still agree).
        var deadline = DateTime.UtcNow + CatchUpTimeout;
        while (true)
        {
            var state = await CliAsync([.. cluster.ConnectionArguments, "state", "--app", App, "--mesh", cluster.MeshFile]);
            var states = state.StdoutLines.Select(l => CliOutput.StateLine().Match(l)).Where(m => m.Success)
                .ToDictionary(m => m.Groups["node"].Value, m => ulong.Parse(m.Groups["state"].Value, CultureInfo.InvariantCulture));
            bool victimGone = await cluster.MembershipStatusAsync(victim) == "Dead";
            var expected = victimGone ? cluster.Nodes.Where(n => n != victim) : cluster.Nodes;
            if (expected.All(n => states.TryGetValue(n, out var s) && s == before + 3)) break;
            Assert.True(DateTime.UtcNow < deadline, $"the nodes did not reach state {before + 3} within {CatchUpTimeout.TotalSeconds:0} s:{Environment.NewLine}{state}");
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Submit_ViaANodeThatIsNotInTheMesh_IsAUsageErrorOnOneLine_BeforeAnyConnection()
    {
        var submit = await CliAsync(
            [.. cluster.ConnectionArguments, "--via", "node-z", "submit", "--app", App, "--mesh", cluster.MeshFile, "--key", cluster.ClientKey,
            "--request", cluster.NextRequestId().ToString(CultureInfo.InvariantCulture), "--add", "1"]);

        KeyCommandTests.AssertFailedWithOneLine(submit);
        Assert.Equal(2, submit.ExitCode);
        Assert.Contains("'node-z'", submit.Stderr, StringComparison.Ordinal);
    }

    private async Task<(ulong State, string Node)> SubmitAsync(ulong request, string[]? connection = null)
    {
        var submit = await CliAsync(
            [.. cluster.ConnectionArguments, .. connection ?? [], "submit", "--app", App, "--mesh", cluster.MeshFile, "--key", cluster.ClientKey,
            "--request", request.ToString(CultureInfo.InvariantCulture), "--add", "1"]);
        Assert.True(submit.ExitCode == 0, submit.ToString());
        var reply = CliOutput.ReplyLine().Match(submit.StdoutLines[0]);
        Assert.True(reply.Success, submit.ToString());
        return (ulong.Parse(reply.Groups["state"].Value, CultureInfo.InvariantCulture), reply.Groups["node"].Value);
    }

    private async Task<ProcessResult> CliAsync(string[] args)
    {
        var result = await cluster.RunCliAsync(args);
        output.WriteLine(result.ToString());
        return result;
    }
}
