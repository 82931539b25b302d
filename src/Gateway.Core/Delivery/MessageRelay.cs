using System.Globalization;
using Gateway.Core.Configuration;
using Gateway.Core.Headers;
using Gateway.Core.Pipeline;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;

namespace Gateway.Core.Delivery;

/// <summary>
/// Carries out a verdict on a scanned message: reject or tempfail in-session, or stamp our headers and
/// forward. The client's reply is the downstream's reply to our DATA (before-queue: no 250 unless the
/// downstream took the message).
/// </summary>
/// <param name="quarantine">Where the quarantine action holds messages; without one, quarantine falls back to tagging and forwarding.</param>
/// <param name="seal">Seals the Authentication-Results we stamp, so site learning can trust them later; null: unsealed.</param>
public sealed class MessageRelay(GatewayOptions options, TimeProvider time, IMessageHold? quarantine = null, ResultsSeal? seal = null)
{
    public async Task<SmtpReply> CarryOutAsync(ScanResult scan, IDownstreamTransaction transaction, string queueId, CancellationToken cancellationToken)
    {
        var verdict = scan.Verdict;
        var enforce = options.Mode == GatewayMode.Enforce;
        if (enforce && verdict.Action == VerdictAction.Reject)
        {
            return verdict.Reply ?? new SmtpReply(550, "5.7.1", verdict.Reason ?? $"Message rejected as spam: {Explain(verdict)}");
        }

        if (enforce && verdict.Action == VerdictAction.TempFail)
        {
            return verdict.Reply ?? new SmtpReply(451, "4.7.1", $"Message deferred: {verdict.Reason ?? "try again later"}");
        }

        var headers = ResultHeaders.Build(verdict, scan.Policy, scan.Context, options.Hostname, options.EffectiveAuthservId, queueId, time.GetUtcNow(), options.Downstream.ExchangeScl, seal).ToList();
        if (!enforce && verdict.Action is VerdictAction.Reject or VerdictAction.TempFail or VerdictAction.Quarantine)
        {
            headers.Add($"X-Gateway-Would: {verdict.Action.ToString().ToLowerInvariant()} ({verdict.Reason ?? Explain(verdict)})");
        }

        var remove = ResultHeaders.SpoofedBy(options.EffectiveAuthservId);
        // Only mail forwarded as spam: a held message keeps its Subject, so a release delivers it as it came.
        var forwardedAsSpam = verdict.Action == VerdictAction.Tag || (verdict.Action == VerdictAction.Quarantine && quarantine is null);
        // A Subject in legacy 8-bit bytes is left as it is (X-Spam-Flag still says spam): text would not carry it back unchanged.
        if (enforce && forwardedAsSpam && scan.Policy.Actions.SubjectTag is { } tag
            && RawHeaderEditor.TryFieldValue(scan.Context.RawMessage, "Subject", out var original)
            && SubjectTagged(original, tag) is { } subject)
        {
            headers.Add($"Subject: {subject}");
            var spoofed = remove;
            remove = (name, value) => name.Equals("Subject", StringComparison.OrdinalIgnoreCase) || spoofed(name, value);
        }

        var stamped = RawHeaderEditor.Rewrite(scan.Context.RawMessage, headers, remove);
        if (enforce && verdict.Action == VerdictAction.Quarantine && quarantine is not null)
        {
            // On disk (fsynced) before the 250: from here the message is ours. The downstream transaction
            // opened for its recipients is abandoned (RSET) by the caller.
            var id = await quarantine.HoldAsync(scan.Context, verdict, stamped, cancellationToken);
            return new SmtpReply(250, "2.0.0", $"Ok: held for review as {id}");
        }

        // From here only the bytes matter; the downstream may take its time over them.
        scan.Context.ReleaseParsedMessage();
        return await transaction.SendAsync(stamped, cancellationToken);
    }

    /// <summary>
    /// The Subject with actions.yaml's subject_tag in front; null when it is there already (a message tagged by
    /// us once and sent back through us keeps one tag). Encoded words stay as they are: text may precede them.
    /// </summary>
    private static string? SubjectTagged(string? subject, string tag) =>
        subject is not null && subject.StartsWith(tag, StringComparison.OrdinalIgnoreCase) ? null
        : string.IsNullOrEmpty(subject) ? tag.Trim() : $"{tag.Trim()} {subject}";

    /// <summary>The score and the heaviest symbols; short, because it goes into an SMTP reply line.</summary>
    private static string Explain(Verdict verdict)
    {
        var top = verdict.Symbols.Where(symbol => symbol.Score > 0).OrderByDescending(symbol => symbol.Score).Take(5).Select(symbol => symbol.Name);
        return $"score {verdict.Score.ToString("0.00", CultureInfo.InvariantCulture)} ({string.Join(", ", top)})";
    }
}
