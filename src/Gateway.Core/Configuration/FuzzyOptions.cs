namespace Gateway.Core.Configuration;

/// <summary>
/// Fuzzy matching of near-identical messages (gateway.yaml <c>fuzzy:</c>), off by default. Fed by what the site
/// learns (gateway learn, the console's release and delete as spam, IMAP Junk, /learn: every way through site
/// learning's guards), kept on the state backend (memory for one instance, Redis shared by all).
/// </summary>
public sealed record FuzzyOptions
{
    public bool Enabled { get; init; }

    /// <summary>Words a message's text needs for a text fingerprint (fewer match too much unrelated mail).</summary>
    public int MinWords { get; init; } = 12;

    /// <summary>Share of the 32 min-hashes that must match a learned message's for FUZZY_SPAM or FUZZY_HAM.</summary>
    public double Match { get; init; } = 0.5;

    /// <summary>How long a learned fingerprint is kept after it was last learned.</summary>
    public TimeSpan Ttl { get; init; } = TimeSpan.FromDays(90);

    /// <summary>FUZZY_BULK: near-identical messages in at least this many SMTP sessions within <see cref="BulkWindow"/>.</summary>
    public int BulkSessions { get; init; } = 20;

    public TimeSpan BulkWindow { get; init; } = TimeSpan.FromHours(6);

    /// <summary>
    /// Spam traps: addresses of ours that no person uses (published where only harvesters look). Mail to them is
    /// learned as spam (site learning and fuzzy hashes; per client network, under learning's per-source daily cap)
    /// and refused, 550 5.7.1; nothing of it reaches the downstream. They take a transaction of their own.
    /// </summary>
    public List<string> Traps { get; init; } = [];

    public bool IsTrap(string recipient) => Enabled && Traps.Any(trap => string.Equals(trap, recipient, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Learn as spam, fuzzy hashes only, what the score alone rejected (at or over the reject threshold, no forced
    /// action: DMARC's p=reject refuses forgeries of real mail, whose text must not become "spam"). Off by default:
    /// a phish that copies a real newsletter word for word would teach that newsletter's text as spam.
    /// </summary>
    public bool LearnRejects { get; init; }

    /// <summary>state.backend memory: keys kept at most (about 100 bytes each); beyond, those expiring soonest go.</summary>
    public int MemoryMaxKeys { get; init; } = 1_000_000;

    internal void Validate(ConfigErrors errors, LearningOptions learning, Func<string, bool> ours)
    {
        if (!Enabled)
        {
            return;
        }

        for (var i = 0; i < Traps.Count; i++)
        {
            var at = Traps[i].LastIndexOf('@');
            errors.Require(at > 0 && ours(Traps[i][(at + 1)..]), $"fuzzy.traps.{i}", $"'{Traps[i]}' is not an address in one of domains:");
        }

        errors.Require(learning.Enabled, "fuzzy.enabled", "needs learning.enabled: true (fuzzy hashes are fed by what the site learns)");
        errors.Require(MinWords is >= 5 and <= 1000, "fuzzy.min_words", $"{MinWords} is not between 5 and 1000");
        errors.Require(Match is > 0 and <= 1, "fuzzy.match", $"{Match} is not a share above 0 and at most 1");
        errors.Require(Ttl >= TimeSpan.FromHours(1), "fuzzy.ttl", "must be at least 1h");
        errors.Require(BulkSessions >= 2, "fuzzy.bulk_sessions", "must be at least 2");
        errors.Require(BulkWindow >= TimeSpan.FromMinutes(1) && BulkWindow <= TimeSpan.FromDays(7), "fuzzy.bulk_window", "must be between 1m and 7d");
        errors.Require(MemoryMaxKeys >= 1000, "fuzzy.memory_max_keys", "must be at least 1000");
    }
}
