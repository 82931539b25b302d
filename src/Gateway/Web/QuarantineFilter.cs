using System.Globalization;
using Gateway.Core.Quarantine;

namespace Gateway.Web;

/// <summary>
/// The quarantine list's filter: text in the sender, a recipient or the subject; received on or after a day, on
/// or before a day (UTC); a score at least so high. Whatever does not parse is left out, not an error.
/// </summary>
internal sealed record QuarantineFilter(string? Text, DateOnly? Since, DateOnly? Until, double? MinScore)
{
    public static QuarantineFilter From(string? text, string? since, string? until, string? minScore) => new(
        string.IsNullOrWhiteSpace(text) ? null : text.Trim(),
        DateOnly.TryParseExact(since, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from) ? from : null,
        DateOnly.TryParseExact(until, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to) ? to : null,
        double.TryParse(minScore, NumberStyles.Float, CultureInfo.InvariantCulture, out var score) ? score : null);

    public bool Matches(QuarantineEntry entry)
    {
        var day = DateOnly.FromDateTime(entry.ReceivedAt.UtcDateTime);
        return (Text is null
                || (entry.MailFrom ?? string.Empty).Contains(Text, StringComparison.OrdinalIgnoreCase)
                || entry.Recipients.Any(recipient => recipient.Contains(Text, StringComparison.OrdinalIgnoreCase))
                || (entry.Subject ?? string.Empty).Contains(Text, StringComparison.OrdinalIgnoreCase))
            && (Since is null || day >= Since)
            && (Until is null || day <= Until)
            && (MinScore is null || entry.Score >= MinScore);
    }

    public string SinceText => Since?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? string.Empty;

    public string UntilText => Until?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? string.Empty;

    public string MinScoreText => MinScore?.ToString(CultureInfo.InvariantCulture) ?? string.Empty;
}
