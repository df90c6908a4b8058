namespace PaxosGo.Orleans.Hosting;

/// <summary>Turns exceptions into the one line a command-line tool prints.</summary>
public static class ErrorText
{
    /// <summary>The exception's message on one line, followed by its innermost cause when that says something else.</summary>
    public static string Describe(Exception? exception)
    {
        if (exception is null) return "no attempt was made";
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

    /// <summary><paramref name="text"/> on one line, cut at 600 characters.</summary>
    public static string OneLine(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var line = string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return line.Length <= 600 ? line : string.Concat(line.AsSpan(0, 600), "…");
    }

    private static T? Find<T>(Exception exception)
        where T : Exception => exception switch
        {
            T found => found,
            AggregateException aggregate => aggregate.InnerExceptions.Select(Find<T>).FirstOrDefault(e => e is not null),
            { InnerException: { } inner } => Find<T>(inner),
            _ => null,
        };
}
