using System.Globalization;

namespace Gateway.Core.Authentication.Dmarc;

public enum DmarcPolicy
{
    None,
    Quarantine,
    Reject,
}

/// <summary>
/// A DMARC policy record, read per RFC 9989 (DMARCbis): p, sp, np, adkim, aspf, t and psd; RFC 7489's pct
/// is read compatibly (pct=0 is testing, like t=y). Of the reporting tags, rua= is kept for aggregate reports.
/// </summary>
/// <summary>One rua= destination: a mailbox and the largest report it takes (null: no limit).</summary>
public sealed record DmarcReportAddress(string Address, long? MaxBytes)
{
    public string Domain => Address[(Address.LastIndexOf('@') + 1)..].ToLowerInvariant();
}

public sealed record DmarcRecord(
    DmarcPolicy Policy,
    DmarcPolicy SubdomainPolicy,
    DmarcPolicy NonexistentPolicy,
    bool StrictDkim,
    bool StrictSpf,
    bool Testing,
    char Psd)
{
    /// <summary>Null when the text is not a DMARC record (no leading v=DMARC1, or a malformed tag list).</summary>
    public static DmarcRecord? Parse(string text)
    {
        var tags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var parts = text.Split(';');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i].Trim();
            if (part.Length == 0 && i == parts.Length - 1)
            {
                break;
            }

            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                return null;
            }

            var name = part[..equals].Trim();
            var value = part[(equals + 1)..].Trim();
            if (i == 0 && !(name == "v" && value == "DMARC1"))
            {
                // v=DMARC1 must come first, exactly (RFC 9989 4.7).
                return null;
            }

            tags.TryAdd(name, value);
        }

        if (!tags.ContainsKey("v"))
        {
            return null;
        }

        // An absent or unknown p= leaves a valid record that asks for nothing (p=none).
        var policy = PolicyOf(tags.GetValueOrDefault("p")) ?? DmarcPolicy.None;
        var subdomain = PolicyOf(tags.GetValueOrDefault("sp")) ?? policy;
        var nonexistent = PolicyOf(tags.GetValueOrDefault("np")) ?? subdomain;
        var testing = tags.GetValueOrDefault("t")?.Equals("y", StringComparison.OrdinalIgnoreCase) == true
            || (tags.TryGetValue("pct", out var pct) && int.TryParse(pct, NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && percent == 0);
        var psd = tags.GetValueOrDefault("psd")?.ToLowerInvariant() is "y" or "n" ? tags["psd"].ToLowerInvariant()[0] : 'u';
        return new DmarcRecord(
            policy,
            subdomain,
            nonexistent,
            tags.GetValueOrDefault("adkim")?.Equals("s", StringComparison.OrdinalIgnoreCase) == true,
            tags.GetValueOrDefault("aspf")?.Equals("s", StringComparison.OrdinalIgnoreCase) == true,
            testing,
            psd)
        {
            AggregateReports = ReportAddresses(tags.GetValueOrDefault("rua")),
        };
    }

    /// <summary>Where the domain wants aggregate reports (rua=): mailto: addresses, each with an optional size limit ("!10m").</summary>
    public IReadOnlyList<DmarcReportAddress> AggregateReports { get; init; } = [];

    /// <summary>rua's mailto: URIs (others, such as https:, are not ours to use); a malformed one is left out.</summary>
    private static IReadOnlyList<DmarcReportAddress> ReportAddresses(string? rua)
    {
        var addresses = new List<DmarcReportAddress>();
        foreach (var item in (rua ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!item.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var text = Uri.UnescapeDataString(item["mailto:".Length..]);
            long? limit = null;
            var bang = text.LastIndexOf('!');
            if (bang > 0)
            {
                limit = SizeOf(text[(bang + 1)..]);
                text = text[..bang];
            }

            // The record is the sender domain's to write: only a plain address goes into a report's To, never text a mail
            // library would read as more (line breaks, a second @, a display name).
            var at = text.LastIndexOf('@');
            if (at > 0 && at < text.Length - 1 && !text.Any(char.IsWhiteSpace)
                && MimeKit.MailboxAddress.TryParse(text, out var mailbox) && string.Equals(mailbox.Address, text, StringComparison.Ordinal))
            {
                addresses.Add(new DmarcReportAddress(text, limit));
            }
        }

        return addresses;
    }

    /// <summary>"10m", "50k", "1g", "2048": bytes; null when it does not parse (no limit then).</summary>
    private static long? SizeOf(string text)
    {
        var unit = text.Length > 0 ? char.ToLowerInvariant(text[^1]) : ' ';
        var multiplier = unit switch { 'k' => 1L << 10, 'm' => 1L << 20, 'g' => 1L << 30, 't' => 1L << 40, _ => 1L };
        var digits = multiplier == 1 ? text : text[..^1];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size * multiplier : null;
    }

    private static DmarcPolicy? PolicyOf(string? value) => value?.ToLowerInvariant() switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };
}
