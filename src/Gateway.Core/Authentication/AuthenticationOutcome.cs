using Gateway.Core.Authentication.Arc;
using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Authentication.Spf;

namespace Gateway.Core.Authentication;

/// <summary>
/// Typed results of sender authentication, filled in by the checks (SPF and DKIM first, then ARC and
/// DMARC, which read them) and read by the header writer, rules and <c>gateway check</c>.
/// Null means "not evaluated" (offline, or the check did not run).
/// </summary>
public sealed class AuthenticationOutcome
{
    public SpfOutcome? Spf { get; set; }

    public IReadOnlyList<DkimSignatureResult>? Dkim { get; set; }

    public ArcOutcome? Arc { get; set; }

    public DmarcOutcome? Dmarc { get; set; }

    /// <summary>One word for DKIM over all signatures: pass if any passed, else the first signature's result.</summary>
    public string? DkimSummary => Dkim switch
    {
        null => null,
        [] => "none",
        var results when results.Any(result => result.Result == AuthResult.Pass) => "pass",
        var results => Word(results[0].Result),
    };

    public static string Word(AuthResult result) => result.ToString().ToLowerInvariant();
}
