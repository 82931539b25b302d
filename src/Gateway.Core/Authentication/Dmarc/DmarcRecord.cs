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
/// is read compatibly (pct=0 is testing, like t=y). Reporting tags are ignored here.
/// </summary>
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
            psd);
    }

    private static DmarcPolicy? PolicyOf(string? value) => value?.ToLowerInvariant() switch
    {
        "none" => DmarcPolicy.None,
        "quarantine" => DmarcPolicy.Quarantine,
        "reject" => DmarcPolicy.Reject,
        _ => null,
    };
}
