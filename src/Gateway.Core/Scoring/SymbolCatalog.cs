using Gateway.Core.Rules;

namespace Gateway.Core.Scoring;

/// <summary>
/// Every symbol a policy can see: what the checks report (fixed names), what symbols.yaml declares, the
/// rules' own names and the DNS lists' meanings. A rule naming anything else tests for a symbol that can
/// never come, almost always a typo: the policy is refused with the reference's file:line:col.
/// </summary>
internal static class SymbolCatalog
{
    /// <summary>
    /// Reported by the checks themselves. Written out rather than read from the checks' constants, so scoring
    /// depends on no check's folder (stage folders depend one way); SymbolCatalogTests holds every name a
    /// check reports, literal or constant, to this list.
    /// </summary>
    private static readonly HashSet<string> FromChecks = new(
    [
        "CHECK_ERROR", "MIME_PARSE_ERROR", "ML_SPAM", "ML_HAM", "SITE_SPAM", "SITE_HAM", "SITE_SENDER_HAM", "SITE_UNSURE", "SENDER_ALLOWED", "PYZOR_SPAM", "VIRUS_FOUND", "ANTIVIRUS_UNAVAILABLE",
        "SPF_PASS", "SPF_FAIL", "SPF_SOFTFAIL", "SPF_NEUTRAL", "SPF_NONE", "SPF_TEMPERROR", "SPF_PERMERROR",
        "DKIM_VALID", "DKIM_INVALID", "DKIM_PERMERROR", "DKIM_TEMPERROR", "DKIM_NONE", "DKIM_BODY_LENGTH_LIMIT",
        "ARC_VALID", "ARC_INVALID", "ARC_TEMPERROR", "ARC_NONE", "ARC_TRUSTED_RESCUE",
        "DMARC_PASS", "DMARC_NONE", "DMARC_TEMPERROR", "DMARC_BAD_FROM", "DMARC_TOO_MANY_FROM", "DMARC_POLICY_REJECT", "DMARC_POLICY_QUARANTINE", "DMARC_POLICY_NONE",
    ], StringComparer.Ordinal);

    /// <summary>Problems with the rules' symbol references and groups, as file:line:col lines.</summary>
    public static IEnumerable<string> Problems(RuleSet rules, SymbolsFile symbols, Reputation.DnsListsFile lists)
    {
        bool Known(string symbol) => IsKnown(symbol, rules, symbols, lists);

        foreach (var rule in rules.Rules)
        {
            foreach (var reference in rule.References.Where(reference => !Known(reference.Symbol)))
            {
                yield return $"{reference.Location}: rule {rule.Name} tests symbol {reference.Symbol}, which no check, rule or DNS list reports (a rate limit's symbol must be declared in symbols.yaml to be tested)";
            }

            if (rule.Group is { } group && !symbols.Groups.ContainsKey(group))
            {
                yield return $"{rule.GroupLocation}: rule {rule.Name} names group '{group}', which symbols.yaml does not define (groups: {string.Join(", ", symbols.Groups.Keys)})";
            }
        }
    }

    /// <summary>Whether any check, symbols.yaml, a rule or a DNS list can report this symbol.</summary>
    public static bool IsKnown(string symbol, RuleSet rules, SymbolsFile symbols, Reputation.DnsListsFile lists) =>
        FromChecks.Contains(symbol) || symbols.Symbols.ContainsKey(symbol) || rules.Contains(symbol)
        || lists.Lists.Any(list => symbol.StartsWith(list.Name + "_", StringComparison.Ordinal) || list.Meanings.Any(meaning => meaning.Symbol == symbol));
}
