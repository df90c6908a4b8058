using PaxosGo.Orleans.Hosting;

namespace PaxosGo.Silo;

/// <summary>Exit codes and one-line error output.</summary>
internal static class Cli
{
    /// <summary>The silo failed after it had started.</summary>
    public const int Failed = 1;

    /// <summary>A usage, configuration or start-up error.</summary>
    public const int StartupError = 2;

    /// <summary>Prints <paramref name="message"/> as one line on stderr and returns <see cref="StartupError"/>.</summary>
    public static int Fail(string message, int exitCode = StartupError)
    {
        Console.Error.WriteLine("paxosgo-silo: " + ErrorText.OneLine(message));
        return exitCode;
    }
}

/// <summary>A start-up problem whose message is the one line to print.</summary>
internal sealed class StartupException : Exception
{
    public StartupException()
    {
    }

    public StartupException(string message)
        : base(message)
    {
    }

    public StartupException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
