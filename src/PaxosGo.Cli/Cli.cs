using PaxosGo.Orleans.Hosting;

namespace PaxosGo.Cli;

/// <summary>Exit codes and one-line error output.</summary>
internal static class Cli
{
    /// <summary>The command failed.</summary>
    public const int Failed = 1;

    /// <summary>The command line or an input file is invalid.</summary>
    public const int UsageError = 2;

    /// <summary><c>state</c>: at least one node did not answer.</summary>
    public const int SomeUnreachable = 3;

    /// <summary>Prints <paramref name="message"/> as one line on stderr and returns <paramref name="exitCode"/>.</summary>
    public static int Fail(string message, int exitCode = Failed)
    {
        Console.Error.WriteLine("paxosgo: " + ErrorText.OneLine(message));
        return exitCode;
    }
}

/// <summary>A failure whose message is the one line to print, with its exit code.</summary>
internal sealed class CliException : Exception
{
    public CliException()
    {
    }

    public CliException(string message)
        : base(message)
    {
    }

    public CliException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CliException(string message, int exitCode, Exception? innerException = null)
        : base(message, innerException)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; } = Cli.Failed;
}
