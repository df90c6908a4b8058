using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace PaxosGo.Orleans.Tests.Infrastructure;

/// <summary>
/// Makes the Azurite storage emulator available on 127.0.0.1:10000-10002 for integration tests.
/// An Azurite that already answers on the three ports (for example the one <c>.ci/run</c> starts)
/// is used as is and left running; otherwise <c>azurite/azurite.sh start</c> starts one with a
/// temporary data folder, and <see cref="Dispose"/> stops it again (<c>azurite.sh stop DATA_DIR</c>,
/// which leaves alone an Azurite someone else started meanwhile) and deletes the folder.
/// Test processes run in parallel (every test project of <c>dotnet test</c>) and share the one Azurite:
/// each fixture holds a shared lock on <see cref="UsersLockPath"/> while it uses Azurite, and the one that
/// started it stops it only once it can lock that file exclusively, when no other fixture uses it.
/// </summary>
public sealed class AzuriteFixture : IDisposable
{
    private const string Host = "127.0.0.1";
    private static readonly int[] Ports = [10000, 10001, 10002];

    // The first start may run `npm ci` (about 25 s on a warm cache, longer on a cold one).
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromMinutes(1);

    // How long the fixture that started Azurite waits for the other users to finish before it leaves Azurite running.
    private static readonly TimeSpan OtherUsersTimeout = TimeSpan.FromMinutes(20);

    /// <summary>The file every fixture on this machine holds a shared lock (flock) on while it uses Azurite.</summary>
    private static readonly string UsersLockPath = Path.Combine(Path.GetTempPath(), $"paxosgo-azurite-{Host}-{Ports[0]}.users");

    private FileStream? _usersLock;

    private readonly string? _repositoryRoot;
    private readonly string? _dataDirectory;
    private bool _disposed;

    /// <summary>Connection string for the Azurite this fixture provides.</summary>
    [SuppressMessage("Performance", "CA1822:Mark members as static",
        Justification = "Tests read it from the injected fixture instance.")]
    public string ConnectionString => "UseDevelopmentStorage=true";

    public AzuriteFixture()
    {
        // Before looking at the ports: a fixture that is stopping Azurite holds the lock exclusively.
        _usersLock = LockUsers(FileShare.ReadWrite, StartTimeout)
            ?? throw new InvalidOperationException($"Could not lock {UsersLockPath} (shared) within {StartTimeout.TotalSeconds:0} s.");
        if (AllPortsOpen())
        {
            return;
        }

        _repositoryRoot = FindRepositoryRoot();
        _dataDirectory = Directory.CreateTempSubdirectory("paxosgo-azurite-").FullName;

        var (exitCode, output) = RunScript(_repositoryRoot, StartTimeout, "start", _dataDirectory);
        if (exitCode != 0)
        {
            // The script cleans up after a failed start itself; after a timeout (script killed)
            // an Azurite it launched may still be running.
            TryStop();
            TryDeleteDataDirectory();
            _usersLock.Dispose();
            throw new InvalidOperationException(
                $"Could not start Azurite with 'bash azurite/azurite.sh start {_dataDirectory}' " +
                $"in {_repositoryRoot} ({DescribeExit(exitCode)}). Output:{Environment.NewLine}{output}");
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _usersLock?.Dispose();
        _usersLock = null;
        if (_dataDirectory is not null)
        {
            // Stop only once no other fixture uses this Azurite any more.
            using var alone = LockUsers(FileShare.None, OtherUsersTimeout);
            if (alone is null)
            {
                Console.Error.WriteLine(
                    $"AzuriteFixture: other test processes still use Azurite after {OtherUsersTimeout.TotalMinutes:0} min; leaving it running.");
                return;
            }

            TryStop();
        }

        TryDeleteDataDirectory();
    }

    /// <summary>Opens <see cref="UsersLockPath"/> with <paramref name="share"/> (ReadWrite: a shared lock, None: an exclusive one), retrying until <paramref name="timeout"/>; null if it could not.</summary>
    private static FileStream? LockUsers(FileShare share, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                return new FileStream(UsersLockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, share);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(TimeSpan.FromMilliseconds(500));
            }
            catch (IOException)
            {
                return null;
            }
        }
    }

    private void TryStop()
    {
        if (_repositoryRoot is null || _dataDirectory is null)
        {
            return;
        }

        try
        {
            // Stops only the Azurite running on this fixture's data folder.
            var (exitCode, output) = RunScript(_repositoryRoot, StopTimeout, "stop", _dataDirectory);
            if (exitCode != 0)
            {
                Console.Error.WriteLine(
                    $"AzuriteFixture: 'azurite.sh stop' failed ({DescribeExit(exitCode)}):{Environment.NewLine}{output}");
            }
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            Console.Error.WriteLine($"AzuriteFixture: could not stop Azurite: {e.Message}");
        }
    }

    private void TryDeleteDataDirectory()
    {
        if (_dataDirectory is null || !Directory.Exists(_dataDirectory))
        {
            return;
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"AzuriteFixture: could not delete {_dataDirectory}: {e.Message}");
        }
    }

    private static string DescribeExit(int exitCode) =>
        exitCode == -1 ? "timed out" : $"exit code {exitCode}";

    /// <summary>True when all three Azurite ports accept TCP connections.</summary>
    public static bool AllPortsOpen() => Ports.All(PortOpen);

    private static bool PortOpen(int port)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync(Host, port).Wait(TimeSpan.FromSeconds(2)) && client.Connected;
        }
        catch (AggregateException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PaxosGo.Orleans.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"Could not find PaxosGo.Orleans.sln in {AppContext.BaseDirectory} or any parent folder, " +
            "so azurite/azurite.sh cannot be run; start Azurite on 127.0.0.1:10000-10002 yourself.");
    }

    /// <summary>Runs <c>bash azurite/azurite.sh ARGS</c>; exit code -1 on timeout (the process tree is killed).</summary>
    private static (int ExitCode, string Output) RunScript(string repositoryRoot, TimeSpan timeout, params string[] args)
    {
        var startInfo = new ProcessStartInfo("bash")
        {
            WorkingDirectory = repositoryRoot,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(Path.Combine(repositoryRoot, "azurite", "azurite.sh"));
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);

        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        if (!process.WaitForExit(timeout))
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }

            process.WaitForExit(TimeSpan.FromSeconds(10));
            Append(output, $"(timed out after {timeout.TotalSeconds:0} s)");
            return (-1, Snapshot(output));
        }

        // Flush the asynchronous readers.
        process.WaitForExit();
        return (process.ExitCode, Snapshot(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }
}

/// <summary>Test classes in this collection share one Azurite per test run.</summary>
[CollectionDefinition(AzuriteCollection.Name)]
[SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix",
    Justification = "xunit collection definitions are conventionally named *Collection.")]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}
