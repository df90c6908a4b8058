using System.Diagnostics;
using System.Text;

namespace PaxosGo.Cli.Tests.Infrastructure;

/// <summary>What a finished process printed and returned.</summary>
internal sealed record ProcessResult(string Command, int ExitCode, string Stdout, string Stderr, TimeSpan Elapsed)
{
    /// <summary>The non-empty lines of stdout.</summary>
    public string[] StdoutLines => Lines(Stdout);

    /// <summary>The non-empty lines of stderr.</summary>
    public string[] StderrLines => Lines(Stderr);

    /// <summary>Everything about the run, for assertion messages and the test log.</summary>
    public override string ToString() =>
        $"$ {Command}{Environment.NewLine}exit code {ExitCode} after {Elapsed.TotalSeconds:0.0} s{Environment.NewLine}" +
        $"--- stdout ---{Environment.NewLine}{Stdout}--- stderr ---{Environment.NewLine}{Stderr}";

    private static string[] Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>
/// Runs the real executables (<c>paxosgo.dll</c>, <c>paxosgo-silo.dll</c>, copied into this project's
/// output by the project references) with <c>dotnet</c>, as an operator would.
/// </summary>
internal static class Executables
{
    /// <summary>The <c>paxosgo</c> CLI under test.</summary>
    public static string Cli { get; } = Path.Combine(AppContext.BaseDirectory, "paxosgo.dll");

    /// <summary>The silo host.</summary>
    public static string Silo { get; } = Path.Combine(AppContext.BaseDirectory, "paxosgo-silo.dll");

    /// <summary>Runs <c>dotnet DLL ARGS</c> in <paramref name="workingDirectory"/> and waits for it; kills it after <paramref name="timeout"/>.</summary>
    public static async Task<ProcessResult> RunAsync(string dll, IReadOnlyList<string> args, string workingDirectory, TimeSpan timeout)
    {
        var start = DotnetStartInfo(dll, args, workingDirectory);
        var command = Describe(dll, args);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + command);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var deadline = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                throw new TimeoutException($"{command} did not finish within {timeout.TotalSeconds:0} s");
            }
        }

        return new ProcessResult(command, process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false), clock.Elapsed);
    }

    /// <summary>
    /// <c>dotnet DLL ARGS</c> with redirected streams and a clean environment: no inherited
    /// <c>PAXOSGO_</c> settings (the silo reads them), and workstation GC (three silos share two cores in CI).
    /// </summary>
    public static ProcessStartInfo DotnetStartInfo(string dll, IReadOnlyList<string> args, string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Clean(start);
        return start;
    }

    /// <summary>Removes inherited <c>PAXOSGO_</c> variables and turns off the server GC.</summary>
    public static void Clean(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("PAXOSGO_", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_gcServer"] = "0";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
    }

    /// <summary>Kills the process and everything it started; never throws.</summary>
    public static void Kill(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    public static string Describe(string dll, IEnumerable<string> args) =>
        $"dotnet {Path.GetFileName(dll)} {string.Join(' ', args.Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a))}";
}
