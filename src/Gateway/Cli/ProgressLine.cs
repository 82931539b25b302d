using System.Diagnostics;
using System.Globalization;

namespace Gateway.Cli;

/// <summary>
/// Progress of a command that walks folders of messages (check, replay, learn): "N messages (R/s)..." on
/// stderr, rewritten in place, only when stderr is a terminal — scripts and logs get the summary alone.
/// stdout is left to the command's results.
/// </summary>
internal sealed class ProgressLine(TextWriter error, int every = 200)
{
    private readonly bool _visible = error == Console.Error && !Console.IsErrorRedirected;
    private readonly long _started = Stopwatch.GetTimestamp();

    public int Count { get; private set; }

    public async Task StepAsync()
    {
        if (++Count % every == 0 && _visible)
        {
            await error.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"\r{Count} messages ({Count / Seconds:0}/s)..."));
        }
    }

    /// <summary>"checked 3465 message(s) in 12.3s (282 per second): DETAIL", over the progress line.</summary>
    public Task WriteSummaryAsync(string verb, string detail) =>
        error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{(_visible ? "\r" : string.Empty)}{verb} {Count} message(s) in {Seconds:0.0}s ({Count / Seconds:0} per second): {detail}"));

    private double Seconds => Math.Max(Stopwatch.GetElapsedTime(_started).TotalSeconds, 0.001);
}
