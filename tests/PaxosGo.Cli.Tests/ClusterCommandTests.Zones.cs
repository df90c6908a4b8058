using PaxosGo.Cli.Tests.Infrastructure;
using Xunit;

namespace PaxosGo.Cli.Tests;

/// <summary>
/// <c>paxosgo zone</c> on the same cluster (its silos run the name server by default): a zone file is
/// checked, stored, put through Paxos and then served by every node; a bad file is one line and a
/// non-zero exit with nothing stored or proposed; rm removes, and says when there was nothing to remove.
/// </summary>
public sealed partial class ClusterCommandTests
{
    [Fact]
    public async Task ZonePut_IsServedByEveryNode_ZoneRm_RemovesIt_AndBadInputIsOneLineAndANonZeroExit()
    {
        string key = Path.Combine(_cluster.Directory, "zone-client.key");
        Assert.Equal(0, (await CliAsync("keygen", "--out", key)).ExitCode);
        var register = await CliOnClusterAsync("register", "--app", "dns", "--mesh", _cluster.MeshFile, "--admin-key", _cluster.AdminKey, "--client-key", key);
        Assert.True(register.ExitCode == 0, register.ToString());

        string zoneFile = Path.Combine(FindRepositoryRoot(), "deploy", "example.com.zone");
        var put = await CliOnClusterAsync("zone", "put", zoneFile, "--mesh", _cluster.MeshFile, "--key", key);
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Matches(@"^zone example\.com\. added \(serial 2026120101, 13 records, file [0-9a-f]{16}\): state=\d+ node=node-", Assert.Single(put.StdoutLines));

        var listed = await WaitAsync(["zone", "list", "--mesh", _cluster.MeshFile], r => r.ExitCode == 0 && r.StdoutLines.Count(l => l.Contains("example.com.  serial=2026120101 records=13", StringComparison.Ordinal)) == 3);
        Assert.Equal(3, listed.StdoutLines.Length);
        var got = await CliAsync("zone", "get", "EXAMPLE.com", "--mesh", _cluster.MeshFile);
        Assert.True(got.ExitCode == 0, got.ToString());
        Assert.All(got.StdoutLines, l => Assert.Contains("serial=2026120101", l, StringComparison.Ordinal));

        // A file that is not a zone: one line, exit 2, nothing proposed.
        string bad = Path.Combine(_cluster.Directory, "bad.zone");
        await File.WriteAllTextAsync(bad, "@ IN SOA ns1 host 1 2 3 4 5\nwww IN FOO 1.2.3.4\n");
        var refused = await CliOnClusterAsync("zone", "put", bad, "--name", "example.com", "--mesh", _cluster.MeshFile, "--key", key);
        KeyCommandTests.AssertFailedWithOneLine(refused);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("not a valid zone file for example.com.: line 2", refused.StderrLines[0], StringComparison.Ordinal);

        var removed = await CliOnClusterAsync("zone", "rm", "example.com", "--mesh", _cluster.MeshFile, "--key", key);
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.StartsWith("zone example.com. removed: state=", Assert.Single(removed.StdoutLines), StringComparison.Ordinal);
        var again = await CliOnClusterAsync("zone", "rm", "example.com", "--mesh", _cluster.MeshFile, "--key", key);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("was not in the zone map", again.Stdout, StringComparison.Ordinal);
        await WaitAsync(["zone", "get", "example.com", "--mesh", _cluster.MeshFile], r => r.ExitCode == 1 && r.StdoutLines.All(l => l.Contains("HTTP 404", StringComparison.Ordinal)));
    }

    private async Task<ProcessResult> WaitAsync(string[] args, Func<ProcessResult, bool> done)
    {
        var deadline = DateTime.UtcNow + CatchUpTimeout;
        while (true)
        {
            var result = await CliAsync(args);
            if (done(result)) return result;
            Assert.True(DateTime.UtcNow < deadline, "not as expected in time: " + result);
            await Task.Delay(300);
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PaxosGo.Orleans.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("PaxosGo.Orleans.sln not found above " + AppContext.BaseDirectory);
    }
}
