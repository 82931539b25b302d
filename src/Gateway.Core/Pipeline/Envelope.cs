namespace Gateway.Core.Pipeline;

/// <summary>
/// What the client told us in the SMTP dialogue and what the dialogue's phases found out (reverse DNS,
/// SPF begun at MAIL, symbols earned before DATA): the one typed per-transaction object the DATA phase
/// starts from. <see cref="From"/> is null for the null sender <c>&lt;&gt;</c>.
/// </summary>
public sealed record Envelope(
    IPAddress ClientAddress,
    string HeloName,
    string? From,
    IReadOnlyList<string> Recipients,
    bool IsTls = false)
{
    /// <summary>The client's forward-confirmed reverse DNS name (PTR whose A/AAAA leads back), or null.</summary>
    public string? ReverseName { get; init; }

    /// <summary>The recipients' policy group (actions.yaml groups); one per transaction. Null: the default group.</summary>
    public string? PolicyGroup { get; init; }

    /// <summary>Symbols the SMTP dialogue already earned (a rate limit with action: symbol), added to the message's.</summary>
    public IReadOnlyList<SymbolHit> SessionSymbols { get; init; } = [];

    /// <summary>SPF as begun at MAIL FROM by the MAIL phase, so its DNS overlaps the dialogue (null when scanning files: the SPF check evaluates it then).</summary>
    public Task<Authentication.Spf.SpfOutcome>? SpfAtMailFrom { get; init; }

    public static readonly Envelope Offline = new(IPAddress.Loopback, "localhost", null, []);
}
