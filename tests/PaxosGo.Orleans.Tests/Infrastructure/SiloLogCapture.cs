using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PaxosGo.Orleans.Tests.Infrastructure;

/// <summary>
/// Keeps the warnings and errors the test cluster's silos log (they run in this process), so a test
/// can see what a silo itself reported, for example that it refused a frame on its length.
/// </summary>
internal sealed class SiloLogCapture : ILoggerProvider
{
    private static readonly ConcurrentQueue<(string Category, Exception? Exception, string Message)> Entries = new();

    /// <summary>Whether a silo logged an exception of type <typeparamref name="T"/> whose message contains <paramref name="text"/>.</summary>
    public static bool Logged<T>(string text)
        where T : Exception =>
        Entries.Any(e => e.Exception is T && e.Exception.Message.Contains(text, StringComparison.Ordinal));

    /// <summary>How many warnings and errors with an exception of type <typeparamref name="T"/> whose message contains <paramref name="text"/> the silos logged (of the last 10,000 kept).</summary>
    public static int CountLogged<T>(string text)
        where T : Exception =>
        Entries.Count(e => e.Exception is T && e.Exception.Message.Contains(text, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            Entries.Enqueue((category, exception, formatter(state, exception)));
            while (Entries.Count > 10_000) Entries.TryDequeue(out _);
        }
    }
}
