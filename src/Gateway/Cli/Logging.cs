using Gateway.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Cli;

internal static class Logging
{
    /// <summary>One line per event on stderr (stdout stays clean for command output), as text or JSON.</summary>
    /// <param name="minimum">Commands whose output is the point (check) log warnings only: "model loaded" before every result is noise.</param>
    public static ILoggerFactory Create(LogFormat format = LogFormat.Text, LogLevel minimum = LogLevel.Information) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(minimum)
            .AddConsole(options => options.LogToStandardErrorThreshold = LogLevel.Trace);
        if (format == LogFormat.Json)
        {
            builder.AddJsonConsole(options =>
            {
                options.UseUtcTimestamp = true;
                options.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }
        else
        {
            builder.AddConsole(options => options.FormatterName = EscapingTextFormatter.FormatterName)
                .AddConsoleFormatter<EscapingTextFormatter, Microsoft.Extensions.Logging.Console.ConsoleFormatterOptions>();
        }
    });
}
