using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Gateway.Cli;

/// <summary>
/// The text log format (logging.format: text), one line per event as the simple console formatter writes
/// it — "2026-01-01T00:00:00.000Z info: Category[0] message" — but with every message and exception passed
/// through <see cref="TerminalText"/>: log lines quote what senders wrote (MAIL FROM, HELO, Subject), and a
/// CR, an ESC sequence or a right-to-left override in them must not forge a line or repaint a terminal.
/// An exception is its type and message (and its inner ones'), never a stack trace unless GATEWAY_DEBUG=1.
/// </summary>
internal sealed class EscapingTextFormatter() : ConsoleFormatter(FormatterName), IDisposable
{
    public const string FormatterName = "gateway-text";

    public void Dispose()
    {
    }

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null)
        {
            return;
        }

        textWriter.Write(DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z' ", System.Globalization.CultureInfo.InvariantCulture));
        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id);
        textWriter.Write("] ");
        textWriter.Write(TerminalText.Escape(message));
        if (logEntry.Exception is { } exception)
        {
            // What went wrong, not where in our code: the stack trace only with GATEWAY_DEBUG=1 (as the CLI does).
            textWriter.Write(' ');
            textWriter.Write(TerminalText.Escape(Environment.GetEnvironmentVariable("GATEWAY_DEBUG") == "1" ? exception.ToString().ReplaceLineEndings(" ") : Describe(exception)));
        }

        textWriter.Write(Environment.NewLine);
    }

    /// <summary>"IOException: Read-only file system (inner: ...)": every exception's type and message down the chain.</summary>
    private static string Describe(Exception exception)
    {
        var parts = new List<string>();
        for (var current = exception; current is not null && parts.Count < 4; current = current.InnerException)
        {
            parts.Add($"{current.GetType().Name}: {current.Message.ReplaceLineEndings(" ")}");
        }

        return string.Join(" <- ", parts);
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
