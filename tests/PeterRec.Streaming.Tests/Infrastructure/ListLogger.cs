using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PeterRec.Streaming.Tests.Infrastructure;

/// <summary>Keeps every formatted log line (with its exception) in memory, for tests that read what a role logged.</summary>
public sealed class ListLogger : ILogger, ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public string Text => string.Join("\n", _lines);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : $" {exception}")}");

    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }
}
