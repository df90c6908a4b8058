using System.Diagnostics;
using PaxosGo.Orleans.Identity;
using Xunit;

namespace PaxosGo.Silo.Tests;

/// <summary>
/// The silo host as an operator meets it: the real <c>paxosgo-silo</c> executable, run as a process.
/// Every bad start-up input ends with one clear line on stderr and exit code 2, before anything starts.
/// </summary>
public sealed class SiloCommandLineTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "paxosgo-silo-test-" + Guid.NewGuid().ToString("N")[..12]);

    public SiloCommandLineTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Keygen_WritesAKeyFileOnlyItsOwnerCanRead_AndPrintsTheNodeId()
    {
        string path = Path.Combine(_dir, "a.key");
        var (code, stdout, _) = Run("keygen", "--out", path);

        Assert.Equal(0, code);
        using var key = NodeKey.Load(path);
        Assert.Contains(key.NodeId, stdout, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.NotEqual(0, Run("keygen", "--out", path).Code); // never overwrites a key
    }

    [Fact]
    public void MeshAdd_BuildsAMeshFileThatLoads_WithEveryNode()
    {
        string mesh = MakeMesh();

        var loaded = Mesh.Load(mesh);
        Assert.Equal(["node-a", "node-b"], loaded.Nodes.Select(n => n.Name).Order());
    }

    [Fact]
    public void Run_WithoutAKeyFileSetting_SaysWhichSettingIsMissing()
    {
        string mesh = MakeMesh();
        var (code, _, stderr) = Run("run", "--PaxosGo:Node=node-a", $"--PaxosGo:MeshFile={mesh}");

        Assert.Equal(2, code);
        Assert.Contains("PaxosGo:KeyFile is not set", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Trim().Split('\n'));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Run_WithAKeyFileOthersCanRead_Refuses()
    {
        string mesh = MakeMesh();
        string key = Path.Combine(_dir, "node-a.key");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var (code, _, stderr) = Run("run", "--PaxosGo:Node=node-a", $"--PaxosGo:KeyFile={key}", $"--PaxosGo:MeshFile={mesh}");

        Assert.Equal(2, code);
        Assert.Contains("chmod 600", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithAnotherNodesKey_SaysTheKeyDoesNotMatchTheMeshEntry()
    {
        string mesh = MakeMesh();
        var (code, _, stderr) = Run("run", "--PaxosGo:Node=node-a", $"--PaxosGo:KeyFile={Path.Combine(_dir, "node-b.key")}", $"--PaxosGo:MeshFile={mesh}");

        Assert.Equal(2, code);
        Assert.Contains("does not match its mesh entry", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithANodeNotInTheMesh_NamesTheNodesThatAre()
    {
        string mesh = MakeMesh();
        var (code, _, stderr) = Run("run", "--PaxosGo:Node=node-z", $"--PaxosGo:KeyFile={Path.Combine(_dir, "node-a.key")}", $"--PaxosGo:MeshFile={mesh}");

        Assert.Equal(2, code);
        Assert.Contains("node-z", stderr, StringComparison.Ordinal);
        Assert.Contains("node-a", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithATamperedMesh_SaysWhichEntryIsWrong()
    {
        string mesh = MakeMesh();
        string json = File.ReadAllText(mesh);
        var node = Mesh.Load(mesh).Nodes.Single(n => n.Name == "node-b");
        // Swap one hex digit of node-b's public key: its node id no longer matches.
        string tampered = node.PublicKey[..^1] + (node.PublicKey[^1] == '0' ? '1' : '0');
        File.WriteAllText(mesh, json.Replace(node.PublicKey, tampered, StringComparison.Ordinal));
        var (code, _, stderr) = Run("run", "--PaxosGo:Node=node-a", $"--PaxosGo:KeyFile={Path.Combine(_dir, "node-a.key")}", $"--PaxosGo:MeshFile={mesh}");

        Assert.Equal(2, code);
        Assert.Contains("node-b", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithABadSessionSetting_SaysWhatTheSettingMustBe()
    {
        string mesh = MakeMesh();
        string key = Path.Combine(_dir, "node-a.key");
        var (code, _, stderr) = Run("run", "--PaxosGo:Node=node-a", $"--PaxosGo:KeyFile={key}", $"--PaxosGo:MeshFile={mesh}", "--PaxosGo:SessionIdleTimeout=-00:05:00");
        Assert.Equal(2, code);
        Assert.Contains("PaxosGo:SessionIdleTimeout must be a positive duration", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run("run", "--PaxosGo:Node=node-a", $"--PaxosGo:KeyFile={key}", $"--PaxosGo:MeshFile={mesh}", "--PaxosGo:MaxSessions=0");
        Assert.Equal(2, code);
        Assert.Contains("PaxosGo:MaxSessions must be a positive whole number of sessions", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithABadProtocolSetting_SaysWhichSettingAndWhatItMustBe()
    {
        string mesh = MakeMesh();
        string key = Path.Combine(_dir, "node-a.key");
        string[] start = ["run", "--PaxosGo:Node=node-a", $"--PaxosGo:KeyFile={key}", $"--PaxosGo:MeshFile={mesh}", $"--PaxosGo:AdminPublicKey={new string('a', 64)}"];

        var (code, _, stderr) = Run([.. start, "--PaxosGo:Proposer:Window=0"]);
        Assert.Equal(2, code);
        Assert.Contains("PaxosGo: Proposer.Window must be at least 1", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run([.. start, "--PaxosGo:Proposer:Windw=2"]);
        Assert.Equal(2, code);
        Assert.Contains("PaxosGo:Proposer:Windw is not a setting", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run([.. start, "--PaxosGo:Learner:SnapshotInterval=often"]);
        Assert.Equal(2, code);
        Assert.Contains("PaxosGo:Learner:SnapshotInterval must be a whole number", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run([.. start, "--PaxosGo:Journal=disk"]);
        Assert.Equal(2, code);
        Assert.Contains("PaxosGo:Journal must be Table or AppendBlob, not 'disk'", stderr, StringComparison.Ordinal);

        (code, _, stderr) = Run([.. start, "--PaxosGo:Proposer:MaxUnlearnedSlots=8"]);
        Assert.Equal(2, code);
        Assert.Contains("MaxUnlearnedSlots must be at least Learner.SnapshotInterval + Proposer.Window", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_WithProtocolTuningFromTheEnvironmentAndArguments_StartsWithThatTuning()
    {
        string mesh = MakeMesh();
        string key = Path.Combine(_dir, "node-a.key");
        // Storage on a closed port: the silo gets as far as logging its tuning, then waits for storage.
        const string NoStorage = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "paxosgo-silo.dll"), "run", "--PaxosGo:Node=node-a", $"--PaxosGo:KeyFile={key}", $"--PaxosGo:MeshFile={mesh}",
            $"--PaxosGo:AdminPublicKey={new string('a', 64)}", $"--PaxosGo:Storage={NoStorage}", "--PaxosGo:Proposer:Window=3", "--PaxosGo:Learner:SnapshotInterval=32", "--PaxosGo:Journal=appendblob",
        })
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["PAXOSGO_PaxosGo__Proposer__ThriftyAccepts"] = "false";
        start.Environment["PAXOSGO_PaxosGo__TimerPeriod"] = "00:00:00.005";
        using var process = Process.Start(start)!;
        _ = process.StandardError.ReadToEndAsync();
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null && DateTime.UtcNow < deadline)
            {
                if (!line.Contains("protocol tuning", StringComparison.Ordinal)) continue;
                Assert.Contains("timer 5 ms, window 3, max batch 256", line, StringComparison.Ordinal);
                Assert.Contains("thrifty Accepts False, snapshot every 32 slots, journal in AppendBlob", line, StringComparison.Ordinal);
                return;
            }

            Assert.Fail("the silo did not log its protocol tuning");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
    }

    private string MakeMesh()
    {
        string mesh = Path.Combine(_dir, "mesh.json");
        int port = 0;
        foreach (var name in new[] { "node-a", "node-b" })
        {
            string key = Path.Combine(_dir, name + ".key");
            Assert.Equal(0, Run("keygen", "--out", key).Code);
            var (code, _, stderr) = Run(
                "mesh", "add", "--mesh", mesh, "--name", name, "--key", key, "--host", "127.0.0.1",
                "--silo-port", (41000 + port).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--gateway-port", (42000 + port).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--http-port", (43000 + port).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--dns-port", (44000 + port).ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(code == 0, stderr);
            port++;
        }

        return mesh;
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "paxosgo-silo.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("paxosgo-silo " + string.Join(' ', args) + " did not finish in 60 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
