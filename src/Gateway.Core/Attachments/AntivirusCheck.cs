using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Attachments;

/// <summary>
/// Known malware, by ClamAV: each attachment (or the whole message, antivirus.scan) streamed to clamd.
/// A finding is VIRUS_FOUND with the signature (and file) in its detail; the shipped rules reject it with
/// 554 5.7.1. clamd down or too slow: antivirus.on_error — tempfail (the default: 451, the sender retries,
/// nothing passes unscanned) or accept (delivered with ANTIVIRUS_UNAVAILABLE).
/// </summary>
public sealed class AntivirusCheck(ClamdClient clamd, AntivirusOptions options) : IMessageCheck
{
    public const string VirusSymbol = "VIRUS_FOUND";
    public const string UnavailableSymbol = "ANTIVIRUS_UNAVAILABLE";

    public string Name => "antivirus";

    public CheckPhase Phase => CheckPhase.Data;

    public IReadOnlyList<string> DependsOn => [];

    /// <summary>Raised once per scanned stream with clean, found, error or skipped (metrics).</summary>
    public event Action<string>? Scanned;

    /// <summary>Raised with the reason when clamd could not be used (a throttled warning).</summary>
    public event Action<string>? Unavailable;

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var (name, content) in Streams(message))
            {
                if (content.Length > options.MaxSize)
                {
                    Scanned?.Invoke("skipped");
                    continue;
                }

                var verdict = await clamd.ScanAsync(content, options.Timeout, cancellationToken);
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
            Scanned?.Invoke("error");
            Unavailable?.Invoke(exception.Message);
            message.Add(new SymbolHit(UnavailableSymbol, 1.0, exception.Message));
            if (options.OnError == AntivirusFallback.TempFail)
            {
                message.Force(new ForcedAction(VerdictAction.TempFail, "antivirus", "virus scanner unavailable, try again later"));
            }

            return CheckStatus.Completed;
        }
    }

    /// <summary>What goes to clamd: the message as received, or each attachment decoded (with its name).</summary>
    private IEnumerable<(string Name, ReadOnlyMemory<byte> Content)> Streams(MessageContext message)
    {
        if (options.Scan == AntivirusScope.Message)
        {
            yield return (string.Empty, message.RawMessage);
            yield break;
        }

        foreach (var attachment in message.Attachments().Where(attachment => !attachment.Broken))
        {
            // A broken transfer encoding is skipped: nothing a mail client would open either.
            yield return (attachment.Part.FileName ?? "(unnamed attachment)", attachment.Content);
        }
    }
}
