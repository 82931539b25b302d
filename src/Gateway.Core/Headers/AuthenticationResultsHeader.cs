using System.Text;
using Gateway.Core.Authentication;

namespace Gateway.Core.Headers;

/// <summary>
/// Our Authentication-Results field (RFC 8601), and the test for incoming copies that claim our
/// authserv-id: those are forged (or stale) and are removed before we stamp ours (RFC 8601 5).
/// </summary>
public static class AuthenticationResultsHeader
{
    public const string FieldName = "Authentication-Results";

    /// <summary>Null when no authentication check ran (offline): we claim nothing we did not check.</summary>
    public static string? Build(string authservId, AuthenticationOutcome outcome, string? mailFrom, string helo)
    {
        var results = new List<string>();
        if (outcome.Spf is { } spf)
        {
            var identity = string.IsNullOrEmpty(mailFrom) ? $"smtp.helo={Value(helo)}" : $"smtp.mailfrom={Value(mailFrom)}";
            results.Add($"spf={AuthResultWord(spf.Result.ToString())}{Comment(spf.Reason)} {identity}");
        }

        if (outcome.Dkim is { } dkim)
        {
            results.AddRange(dkim.Count == 0
                ? ["dkim=none"]
                : dkim.Select(signature => $"dkim={AuthenticationOutcome.Word(signature.Result)}{Reason(signature.Reason)} header.d={Value(signature.Domain)} header.s={Value(signature.Selector)}{(signature.HeaderB is null ? string.Empty : $" header.b={Value(signature.HeaderB)}")}"));
        }

        if (outcome.Arc is { } arc)
        {
            results.Add($"arc={AuthenticationOutcome.Word(arc.Result)}{(arc.LastSealer is null ? string.Empty : $" (i={arc.Instances} d={arc.LastSealer})")}");
        }

        if (outcome.Dmarc is { } dmarc)
        {
            var policy = dmarc.Result == AuthResult.Fail ? $" (p={dmarc.RequestedPolicy.ToString().ToLowerInvariant()}{(dmarc.Testing ? " t=y" : string.Empty)})" : string.Empty;
            results.Add($"dmarc={AuthenticationOutcome.Word(dmarc.Result)}{policy}{(dmarc.FromDomain is null ? string.Empty : $" header.from={Value(dmarc.FromDomain)}")}");
        }

        return results.Count == 0 ? null : $"{FieldName}: {authservId};\r\n\t{string.Join(";\r\n\t", results)}";
    }

    /// <summary>
    /// Whether an incoming Authentication-Results value claims to come from us. The authserv-id is read as
    /// RFC 8601 defines it (a token or a quoted-string, after any comments and white space), so neither
    /// "(x) gateway.example;" nor "\"gateway.example\";" slips past: a mail reader parses it that way too.
    /// </summary>
    public static bool ClaimsAuthservId(string value, string authservId) =>
        AuthservIdOf(value).Equals(authservId, StringComparison.OrdinalIgnoreCase);

    private static string AuthservIdOf(string value)
    {
        var i = SkipCommentsAndWhiteSpace(value, 0);
        if (i < value.Length && value[i] == '"')
        {
            var id = new StringBuilder();
            for (i++; i < value.Length && value[i] != '"'; i++)
            {
                if (value[i] == '\\' && i + 1 < value.Length)
                {
                    i++;
                }

                id.Append(value[i]);
            }

            return id.ToString().Trim();
        }

        var start = i;
        while (i < value.Length && value[i] is not (';' or ' ' or '\t' or '(' or '"'))
        {
            i++;
        }

        return value[start..i];
    }

    /// <summary>CFWS: white space and (possibly nested, possibly escaped) comments.</summary>
    private static int SkipCommentsAndWhiteSpace(string value, int i)
    {
        var depth = 0;
        for (; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && depth > 0)
            {
                i++;
            }
            else if (c == '(')
            {
                depth++;
            }
            else if (c == ')' && depth > 0)
            {
                depth--;
            }
            else if (depth == 0 && c is not (' ' or '\t' or '\r' or '\n'))
            {
                return i;
            }
        }

        return i;
    }

    private static string AuthResultWord(string result) => result.ToLowerInvariant();

    private static string Comment(string? text) => string.IsNullOrEmpty(text) ? string.Empty : $" ({Clean(text, '(', ')')})";

    private static string Reason(string? text) => string.IsNullOrEmpty(text) ? string.Empty : $" reason=\"{Clean(text, '"', '\\')}\"";

    /// <summary>A pvalue: bare when it is a plain token or address, quoted otherwise.</summary>
    private static string Value(string text) =>
        text.Length > 0 && text.All(c => char.IsAsciiLetterOrDigit(c) || "@.-_+=/!#$%&'*^`{|}~".Contains(c)) ? text : $"\"{Clean(text, '"', '\\')}\"";

    private static string Clean(string text, char a, char b)
    {
        var clean = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            clean.Append(c == a || c == b || c < ' ' || c > '~' ? ' ' : c);
        }

        return clean.ToString();
    }
}
