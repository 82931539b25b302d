using System.Buffers;
using System.Globalization;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;
using MimeKit.Utils;
using Gateway.Core.Classification;
using Gateway.Core.Authentication;

namespace Gateway.Core.Headers;

/// <summary>
/// The header fields we stamp on a forwarded message, and the names of those we strip from incoming mail
/// first: a sender must never be able to pre-set our verdict (rspamd milter_headers' <c>remove</c>).
/// </summary>
public static class ResultHeaders
{
    public const string ExchangeSclField = "X-MS-Exchange-Organization-SCL";

    /// <summary>
    /// Ours, and the rest of the X-Spam family (SpamAssassin's Level and Report, rspamd's X-Spam): mail
    /// filters and clients downstream read them as a verdict, so a sender may not bring any of them.
    /// </summary>
    private static readonly HashSet<string> OwnedFieldNames = new(
        ["X-Spam-Flag", "X-Spam-Score", "X-Spam-Status", "X-Spam-Level", "X-Spam-Report", "X-Spam", "X-Spam-Checker-Version", "X-Spam-Bar", "X-Gateway-Would", ExchangeSclField, ResultsSeal.FieldName],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The message as a release sends it: our verdict fields (X-Spam-*, the SCL) replaced by "X-Spam-Flag: NO"
    /// and an X-Spam-Status saying it was released and what it had scored, so the mailbox files it in the
    /// inbox the operator chose; an Exchange SCL of -1 (trusted) where the held copy carried one. Our
    /// Received, Authentication-Results and its seal stay as stamped.
    /// </summary>
    public static byte[] Released(ReadOnlyMemory<byte> held, double score, IEnumerable<(string Name, double Score)> symbols)
    {
        var listed = symbols.Select(symbol => $"{symbol.Name}({Format(symbol.Score)})").DefaultIfEmpty("none");
        List<string> fields =
        [
            "X-Spam-Flag: NO",
            $"X-Spam-Status: No, released from quarantine by an operator; it had score={Format(score)}\r\n\tsymbols={string.Join(",\r\n\t", listed)}",
        ];
        if (HasField(held, ExchangeSclField))
        {
            fields.Add($"{ExchangeSclField}: -1");
        }

        return RawHeaderEditor.Rewrite(held, fields, (name, _) => OwnedFieldNames.Contains(name) && !name.Equals(ResultsSeal.FieldName, StringComparison.OrdinalIgnoreCase)).ToArray();
    }

    private static bool HasField(ReadOnlyMemory<byte> message, string fieldName)
    {
        var found = false;
        RawHeaderEditor.Rewrite(message, [], (name, _) => found |= name.Equals(fieldName, StringComparison.OrdinalIgnoreCase));
        return found;
    }

    /// <summary>Incoming fields we remove before stamping: our own X-Spam-* and results claiming our authserv-id.</summary>
    public static RawHeaderEditor.FieldFilter SpoofedBy(string authservId) => (name, value) =>
        OwnedFieldNames.Contains(name)
        || (name.Equals(AuthenticationResultsHeader.FieldName, StringComparison.OrdinalIgnoreCase) && AuthenticationResultsHeader.ClaimsAuthservId(RawHeaderEditor.Unfold(value), authservId));

    /// <param name="seal">Seals our Authentication-Results for site learning (<see cref="ResultsSeal"/>); null: not sealed.</param>
    public static IReadOnlyList<string> Build(Verdict verdict, ScoringPolicy policy, MessageContext message, string hostname, string authservId, string queueId, DateTimeOffset now, bool exchangeScl = false, ResultsSeal? seal = null)
    {
        var flag = verdict.Action is VerdictAction.Tag or VerdictAction.Reject or VerdictAction.Quarantine ? "YES" : "NO";
        var envelope = message.Envelope;
        List<string> fields = [Received(envelope, hostname, queueId, now)];
        if (AuthenticationResultsHeader.Build(authservId, message.Authentication, envelope.From, envelope.HeloName) is { } results)
        {
            fields.Add(results);
            if (seal is not null)
            {
                fields.Add(seal.Field(results, message.Message.Headers[MimeKit.HeaderId.MessageId]));
            }
        }

        fields.Add($"X-Spam-Flag: {flag}");
        fields.Add($"X-Spam-Score: {Format(verdict.Score)}");
        fields.Add(Status(verdict, policy, message.Classification));
        if (exchangeScl)
        {
            // Exchange's spam confidence level: 0 clean, 5-6 junk (default SCLJunkThreshold 4), 9 certain spam.
            fields.Add($"{ExchangeSclField}: {verdict.Action switch { VerdictAction.Tag => 6, VerdictAction.Reject or VerdictAction.TempFail or VerdictAction.Quarantine => 9, _ => 0 }}");
        }

        return fields;
    }

    /// <summary>RFC 5321 4.4 trace field for our hop.</summary>
    public static string Received(Envelope envelope, string hostname, string queueId, DateTimeOffset now)
    {
        var protocol = envelope.IsTls ? "ESMTPS" : "ESMTP";
        var forClause = envelope.Recipients.Count == 1 ? $"\r\n\tfor <{envelope.Recipients[0]}>" : string.Empty;
        // Postfix's form: the forward-confirmed reverse DNS name beside the address, when there is one.
        var client = envelope.ReverseName is { Length: > 0 } name ? $"{SanitizeName(name.TrimEnd('.'))} [{envelope.ClientAddress}]" : $"[{envelope.ClientAddress}]";
        return $"Received: from {SanitizeName(envelope.HeloName)} ({client})\r\n\tby {hostname} (Gateway) with {protocol} id {queueId}{forClause};\r\n\t{DateUtils.FormatDate(now)}";
    }

    /// <summary>SpamAssassin's shape, with rspamd's symbol list: <c>No, score=1.20 tag=6.00 reject=15.00 symbols=A(1.00),B(0.20)</c>.</summary>
    private static string Status(Verdict verdict, ScoringPolicy policy, Classification.ClassifierResult? classification)
    {
        var yesNo = verdict.Action is VerdictAction.Tag or VerdictAction.Reject or VerdictAction.Quarantine ? "Yes" : "No";
        var thresholds = policy.Actions.Actions;
        var symbols = verdict.Symbols.Count == 0 ? "none" : string.Join(",\r\n\t", verdict.Symbols.Select(symbol => $"{symbol.Name}({Format(symbol.Score)})"));
        var status = $"X-Spam-Status: {yesNo}, score={Format(verdict.Score)} tag={Format(thresholds.Tag)} reject={Format(thresholds.Reject)}\r\n\tsymbols={symbols}";
        if (classification is not null)
        {
            // The features that moved the classifier most, so a user can see why (header-safe ASCII).
            // Without an explanation (ham, classifier.explain: spam) there is nothing after p: no trailing space.
            status += $"\r\n\tclassifier=p={classification.SpamProbability.ToString("0.000", CultureInfo.InvariantCulture)} {Sanitize(classification.Explain())}".TrimEnd();
        }

        // Site learning's verdict symbols (Learning/SiteEvidenceCheck), named here so headers depend on no check.
        if (verdict.Symbols.FirstOrDefault(symbol => symbol.Name is "SITE_SPAM" or "SITE_HAM") is { Detail: { } site })
        {
            // The site's own learned evidence beside the shipped model's, with the tokens that weighed most.
            status += $"\r\n\tsite={Sanitize(site)}";
        }

        return status;
    }

    private static string Format(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The HELO name is client-supplied; keep header syntax intact whatever it holds.</summary>
    private static string SanitizeName(string text)
    {
        var clean = new string([.. text.Where(c => c > ' ' && c < 127 && c is not '(' and not ')' and not ';')]);
        return clean.Length == 0 ? "unknown" : clean;
    }

    /// <summary>Printable ASCII on one line; anything else becomes '?'.</summary>
    private static string Sanitize(string text) => new([.. text.Select(c => c is >= ' ' and < (char)127 ? c : '?')]);
}
