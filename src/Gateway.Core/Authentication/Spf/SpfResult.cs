namespace Gateway.Core.Authentication.Spf;

/// <summary>RFC 7208 section 2.6 results.</summary>
public enum SpfResult
{
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

/// <summary>The outcome of check_host(): the result, the explanation for a fail, and why (for logs and symbols).</summary>
public sealed record SpfOutcome(SpfResult Result, string Domain, string? Explanation = null, string? Reason = null);
