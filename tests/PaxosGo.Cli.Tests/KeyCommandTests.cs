using System.Text.RegularExpressions;
using PaxosGo.Cli.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace PaxosGo.Cli.Tests;

/// <summary>
/// The <c>paxosgo</c> commands and failures that need no cluster: key files, and inputs refused before
/// anything is sent. Each failure is one line on stderr and a non-zero exit code.
/// </summary>
public sealed partial class KeyCommandTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly ITestOutputHelper _output;
    private readonly string _dir = Directory.CreateTempSubdirectory("paxosgo-cli-key-test-").FullName;

    public KeyCommandTests(ITestOutputHelper output) => _output = output;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Keygen_WritesAKeyFileOnlyItsOwnerCanRead_AndPrintsItsClientId()
    {
        var path = Path.Combine(_dir, "me.key");

        var keygen = await RunAsync("keygen", "--out", path);

        Assert.True(keygen.ExitCode == 0, keygen.ToString());
        Assert.Empty(keygen.Stderr);
        Assert.True(File.Exists(path), keygen.ToString());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        var (clientId, publicKey) = ParseKey(keygen);
        // The client id is the hex SHA-256 of the public key.
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Convert.FromHexString(publicKey))), clientId);
        Assert.Contains(Path.GetFullPath(path), keygen.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task KeyShow_PrintsTheClientIdAndPublicKeyThatKeygenPrinted()
    {
        var path = Path.Combine(_dir, "me.key");
        var keygen = await RunAsync("keygen", "--out", path);
        Assert.True(keygen.ExitCode == 0, keygen.ToString());

        var show = await RunAsync("key", "show", "--key", path);

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Empty(show.Stderr);
        Assert.Equal(ParseKey(keygen), ParseKey(show));
    }

    [Fact]
    public async Task Keygen_OverAnExistingKeyFile_FailsWithOneLine_AndKeepsTheKey()
    {
        var path = Path.Combine(_dir, "me.key");
        Assert.Equal(0, (await RunAsync("keygen", "--out", path)).ExitCode);
        var before = await File.ReadAllBytesAsync(path);

        var again = await RunAsync("keygen", "--out", path);

        AssertFailedWithOneLine(again);
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task KeyShow_WithAMissingKeyFile_FailsWithOneLineNamingTheFile()
    {
        var path = Path.Combine(_dir, "missing.key");

        var show = await RunAsync("key", "show", "--key", path);

        AssertFailedWithOneLine(show);
        Assert.Contains("missing.key", show.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_WithAMissingKeyFile_FailsWithOneLineBeforeContactingAnyCluster()
    {
        var path = Path.Combine(_dir, "missing.key");

        // No cluster runs under this id: the key is checked first, so the command fails at once.
        var submit = await RunAsync("--cluster-id", "no-such-cluster", "submit", "--key", path, "--mesh", Path.Combine(_dir, "mesh.json"), "--request", "1", "--timeout", "30");

        AssertFailedWithOneLine(submit);
        Assert.Equal(2, submit.ExitCode);
        Assert.Contains("--key", submit.Stderr, StringComparison.Ordinal);
        Assert.Contains("missing.key", submit.Stderr, StringComparison.Ordinal);
        Assert.True(submit.Elapsed < TimeSpan.FromSeconds(20), submit.ToString());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Submit_WithAKeyFileOthersCanRead_RefusesWithOneLineSayingChmod600()
    {
        var path = Path.Combine(_dir, "me.key");
        Assert.Equal(0, (await RunAsync("keygen", "--out", path)).ExitCode);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var submit = await RunAsync("--cluster-id", "no-such-cluster", "submit", "--key", path, "--mesh", Path.Combine(_dir, "mesh.json"), "--request", "1");

        AssertFailedWithOneLine(submit);
        Assert.Equal(2, submit.ExitCode);
        Assert.Contains("chmod 600", submit.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_WithoutARequestId_IsAUsageErrorOnOneLine()
    {
        var path = Path.Combine(_dir, "me.key");

        var submit = await RunAsync("submit", "--key", path, "--mesh", Path.Combine(_dir, "mesh.json"));

        AssertFailedWithOneLine(submit);
        Assert.Equal(2, submit.ExitCode);
        Assert.Contains("--request", submit.Stderr, StringComparison.Ordinal);
    }

    /// <summary>A failure: a non-zero exit code, nothing on stdout, one line on stderr that starts with <c>paxosgo: </c>.</summary>
    internal static void AssertFailedWithOneLine(ProcessResult result)
    {
        Assert.True(result.ExitCode != 0, result.ToString());
        Assert.True(result.StdoutLines.Length == 0, "stdout should be empty:" + Environment.NewLine + result);
        Assert.True(result.StderrLines.Length == 1, "stderr should be one line:" + Environment.NewLine + result);
        Assert.StartsWith("paxosgo: ", result.StderrLines[0], StringComparison.Ordinal);
    }

    private static (string ClientId, string PublicKey) ParseKey(ProcessResult result)
    {
        var clientId = ClientIdLine().Match(result.Stdout);
        var publicKey = PublicKeyLine().Match(result.Stdout);
        Assert.True(clientId.Success && publicKey.Success, result.ToString());
        return (clientId.Groups[1].Value, publicKey.Groups[1].Value);
    }

    private async Task<ProcessResult> RunAsync(params string[] args)
    {
        var result = await Executables.RunAsync(Executables.Cli, args, _dir, Timeout);
        _output.WriteLine(result.ToString());
        return result;
    }

    [GeneratedRegex(@"^client id:\s+([0-9a-f]{64})\s*$", RegexOptions.Multiline)]
    private static partial Regex ClientIdLine();

    [GeneratedRegex(@"^public key:\s+([0-9a-f]{64})\s*$", RegexOptions.Multiline)]
    private static partial Regex PublicKeyLine();
}
