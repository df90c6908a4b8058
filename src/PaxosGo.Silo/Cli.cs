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
        Console.Error.WriteLine("paxosgo-silo: " + OneLine(message));
        return exitCode;
    }

    /// <summary>The exception's message on one line, followed by its innermost cause when that says something else.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
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

    private static string OneLine(string text)
    {
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 600 ? line : string.Concat(line.AsSpan(0, 600), "…");
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
