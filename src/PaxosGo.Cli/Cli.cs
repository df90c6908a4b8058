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
        Console.Error.WriteLine("paxosgo: " + OneLine(message));
        return exitCode;
    }

    /// <summary>The exception's message on one line, followed by its innermost cause when that says something else.</summary>
    public static string Describe(Exception? exception)
    {
        if (exception is null)
        {
            return "no attempt was made";
        }

        if (Find<HttpRequestException>(exception) is { } unreachable)
        {
            // The Azure SDK's "Retry failed after 4 tries …" says less than the request's own error.
            return "cannot reach the storage: " + OneLine(unreachable.Message);
        }

        var outer = exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : exception;
        var inner = outer.GetBaseException();
        var text = OneLine(outer.Message);
        if (!ReferenceEquals(inner, outer) && !text.Contains(OneLine(inner.Message), StringComparison.Ordinal))
        {
            text = text.TrimEnd('.') + ": " + OneLine(inner.Message);
        }

        return text;
    }

    private static T? Find<T>(Exception exception)
        where T : Exception
    {
        return exception switch
        {
            T found => found,
            AggregateException aggregate => aggregate.InnerExceptions.Select(Find<T>).FirstOrDefault(e => e is not null),
            { InnerException: { } inner } => Find<T>(inner),
            _ => null,
        };
    }

    public static string OneLine(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 400 ? line : string.Concat(line.AsSpan(0, 400), "…");
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
