using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PaxosGo.Cli.Tests.Infrastructure;

/// <summary>
/// One real <c>paxosgo-silo run</c> process. It runs under a small bash watchdog that forwards SIGTERM
/// to the silo and SIGKILLs it when the test process is gone, so a test host that crashes or is
/// killed (a hang timeout) does not leave a silo running.
/// </summary>
internal sealed class SiloProcess : IDisposable
{
    private const int LogLines = 400;

    // $1: the test host's pid; the rest: the silo's command line.
    private const string Watchdog = """
        parent="$1"; shift
        "$@" &
        silo=$!
        trap 'kill -TERM "$silo" 2>/dev/null' TERM INT
        while kill -0 "$silo" 2>/dev/null; do
            kill -0 "$parent" 2>/dev/null || kill -KILL "$silo" 2>/dev/null
            sleep 1 &
            wait $!
        done
        wait "$silo"
        """;

    private readonly Process _process;
    private readonly Queue<string> _log = new();
    private int _disposed;

    private SiloProcess(string node, Process process)
    {
        Node = node;
        _process = process;
    }

    public string Node { get; }

    public bool HasExited => Volatile.Read(ref _disposed) != 0 || _process.HasExited;

    /// <summary>Starts <c>dotnet paxosgo-silo.dll run SETTINGS</c> in <paramref name="workingDirectory"/>.</summary>
    public static SiloProcess Start(string node, string workingDirectory, IEnumerable<string> settings)
    {
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var arg in new[] { "-c", Watchdog, "paxosgo-silo-watchdog", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "dotnet", Executables.Silo, "run" })
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var setting in settings)
        {
            start.ArgumentList.Add(setting);
        }

        Executables.Clean(start);
        var process = new Process { StartInfo = start };
        var silo = new SiloProcess(node, process);
        process.OutputDataReceived += (_, e) => silo.Append(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>The last lines the silo printed (stdout and stderr), with its exit code once it ended.</summary>
    public string Log()
    {
        lock (_log)
        {
            var exit = Volatile.Read(ref _disposed) == 0 && _process.HasExited ? $" (exited with code {_process.ExitCode})" : string.Empty;
            return $"--- {Node}{exit}, last {_log.Count} lines ---{Environment.NewLine}{string.Join(Environment.NewLine, _log)}";
        }
    }

    /// <summary>Asks the silo to stop gracefully (SIGTERM through the watchdog).</summary>
    public void RequestStop()
    {
        if (HasExited)
        {
            return;
        }

        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false });
            kill?.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Exited meanwhile, or no kill(1): Dispose kills it.
        }
    }

    /// <summary>Freezes the silo (SIGSTOP to the silo under the watchdog): its sockets stay open, nothing answers.</summary>
    public void Freeze() => SignalSilo("-STOP");

    /// <summary>Lets a frozen silo run again (SIGCONT).</summary>
    public void Thaw() => SignalSilo("-CONT");

    private void SignalSilo(string signal)
    {
        // The watchdog's child running dotnet is the silo.
        using var signaller = Process.Start(new ProcessStartInfo("pkill")
        {
            ArgumentList = { signal, "-P", _process.Id.ToString(CultureInfo.InvariantCulture), "-x", "dotnet" },
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("could not run pkill");
        signaller.WaitForExit(TimeSpan.FromSeconds(10));
        if (signaller.ExitCode != 0)
        {
            throw new InvalidOperationException($"pkill {signal} found no silo process under watchdog {_process.Id} ({Node})");
        }
    }

    /// <summary>Waits until the silo has exited, at most <paramref name="timeout"/>; true when it did.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return true; // disposed: killed if it still ran
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Kills the watchdog and the silo if they still run (SIGKILL), and releases the process.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (!_process.HasExited)
        {
            Executables.Kill(_process);
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            while (_log.Count > LogLines)
            {
                _log.Dequeue();
            }
        }
    }
}
