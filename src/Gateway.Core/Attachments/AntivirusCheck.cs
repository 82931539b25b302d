using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Attachments;

/// <summary>
/// Known malware, by ClamAV: each attachment (or the whole message, antivirus.scan) streamed to clamd.
/// A finding is VIRUS_FOUND with the signature (and file) in its detail; the shipped rules reject it with
/// 554 5.7.1. Whatever keeps the scan from covering the whole message — clamd down, a garbled answer, a
/// closed connection, the message's scan budget (antivirus.timeout, for all its parts together) running
/// out, more attachments than antivirus.max_parts — is antivirus.on_error: tempfail (the default: 451,
/// the sender retries, nothing passes unscanned) or accept (delivered with ANTIVIRUS_UNAVAILABLE).
/// </summary>
public sealed class AntivirusCheck(ClamdClient clamd, AntivirusOptions options, TimeProvider? clock = null) : IMessageCheck
{
    public const string VirusSymbol = "VIRUS_FOUND";
    public const string UnavailableSymbol = "ANTIVIRUS_UNAVAILABLE";

    /// <summary>Past its budget the check ends itself; the runner's limit is this much later, so it never has to.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public string Name => "antivirus";

    public IReadOnlyList<string> DependsOn => [];

    /// <summary>
    /// antivirus.timeout is the budget for the whole message, and the check runs under it rather than
    /// limits.check_timeout: a budget of 30 s under a 10 s check limit would have been cut off by the
    /// runner as CHECK_ERROR, which on_check_error: accept delivers unscanned.
    /// </summary>
    public TimeSpan? TimeLimit => options.Timeout + Grace;

    /// <summary>Raised once per scanned stream with clean, found, error or skipped (metrics).</summary>
    public event Action<string>? Scanned;

    /// <summary>Raised with the reason when clamd could not be used (a throttled warning).</summary>
    public event Action<string>? Unavailable;

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var started = _clock.GetTimestamp();
        try
        {
            var streams = Streams(message);
            if (streams.Count > options.MaxParts)
            {
                return Failed(message, $"{streams.Count} attachments, more than antivirus.max_parts ({options.MaxParts}) are scanned in one message");
            }

            foreach (var (name, content) in streams)
            {
                if (content.Length > options.MaxSize)
                {
                    Scanned?.Invoke("skipped");
                    continue;
                }

                var left = options.Timeout - _clock.GetElapsedTime(started);
                if (left <= TimeSpan.Zero)
                {
                    return Failed(message, $"the scan did not finish within antivirus.timeout ({options.Timeout.TotalSeconds:0.#}s)");
                }

                var verdict = await clamd.ScanAsync(content, left, cancellationToken);
                Scanned?.Invoke(verdict.Infected ? "found" : "clean");
                if (verdict.Infected)
                {
                    message.Add(new SymbolHit(VirusSymbol, 1.0, name.Length == 0 ? verdict.Signature : $"{verdict.Signature} in {name}"));
                    return CheckStatus.Completed;
                }
            }

            return CheckStatus.Completed;
        }
        catch (ClamdUnavailableException exception)
        {
            return Failed(message, exception.Message);
        }
        catch (OperationCanceledException)
        {
            // The runner's limit or the session's end: either way the message was not covered. When the
            // session is gone the forced answer reaches no one; when it is not, the policy must hold.
            return Failed(message, $"the scan was stopped after {_clock.GetElapsedTime(started).TotalSeconds:0.#}s");
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or FormatException or InvalidOperationException)
        {
            return Failed(message, $"clamd: {exception.Message}");
        }
    }

    private CheckStatus Failed(MessageContext message, string reason)
    {
        Scanned?.Invoke("error");
        Unavailable?.Invoke(reason);
        message.Add(new SymbolHit(UnavailableSymbol, 1.0, reason));
        if (options.OnError == AntivirusFallback.TempFail)
        {
            message.Force(new ForcedAction(VerdictAction.TempFail, "antivirus", "virus scanner unavailable, try again later"));
        }

        return CheckStatus.Completed;
    }

    /// <summary>What goes to clamd: the message as received, or each attachment decoded (with its name).</summary>
    private List<(string Name, ReadOnlyMemory<byte> Content)> Streams(MessageContext message) =>
        options.Scan == AntivirusScope.Message
            ? [(string.Empty, message.RawMessage)]
            : [.. message.Attachments()
                .Where(attachment => !attachment.Broken) // a broken transfer encoding: nothing a mail client would open either
                .Select(attachment => (attachment.Part.FileName ?? "(unnamed attachment)", attachment.Content))];
}
