namespace Gateway.Core.Learning;

/// <summary>Counts of one token: in how many learned spam and ham messages it appeared.</summary>
public readonly record struct TokenCounts(long Spam, long Ham);

/// <summary>What the store knows for one lookup: the learned message totals and each asked token's counts (in order).</summary>
public sealed record SiteCounts(long SpamMessages, long HamMessages, IReadOnlyList<TokenCounts> Tokens);

/// <summary>
/// One message as learning stores it: its key (a hash of the body, so the same mail forwarded, re-sent or
/// found in two mailboxes is one message), its class, who taught it (source) and who sent it (the
/// authenticated sender domain, <see cref="SenderIdentity"/>), and its token hashes.
/// </summary>
public sealed record LearnedMessage(string Key, bool IsSpam, string Source, string SenderDomain, IReadOnlyList<ulong> Tokens);

/// <summary>Per-day caps that keep one sender or one mailbox from teaching the site model too much; 0 = no cap.</summary>
public sealed record LearnLimits(int PerSenderDomainPerDay, int PerSourcePerDay, long MaxTokens, TimeSpan TokenTtl);

public enum LearnOutcome
{
    Learned,

    /// <summary>Already learned with this class.</summary>
    Duplicate,

    /// <summary>Learned before with the other class: dropped from both (and stays dropped), since one of the two labels is wrong.</summary>
    Conflict,

    /// <summary>Its sender domain taught the maximum for today.</summary>
    SenderCapped,

    /// <summary>Its source taught the maximum for today.</summary>
    SourceCapped,
}

/// <summary>
/// Outcomes as the words the Redis script answers, the /learn endpoint and the CLI print and the metrics'
/// outcome label carry (snake_case, as every enum in our YAML): one vocabulary, not one per place.
/// </summary>
public static class LearnOutcomes
{
    public static string Word(LearnOutcome outcome) => Configuration.SnakeCaseEnumConverter.SnakeCase(outcome.ToString());

    public static bool TryParse(string? word, out LearnOutcome outcome)
    {
        foreach (var candidate in Enum.GetValues<LearnOutcome>())
        {
            if (Word(candidate) == word?.Trim())
            {
                outcome = candidate;
                return true;
            }
        }

        outcome = default;
        return false;
    }
}

/// <summary>What the site model holds: messages per class, tokens, and what each source and sender domain taught.</summary>
public sealed record SiteStats(long SpamMessages, long HamMessages, long Tokens, IReadOnlyDictionary<string, long> Sources, IReadOnlyDictionary<string, long> SenderDomains);

/// <summary>
/// The site's learned token statistics (a Bayes token store as rspamd and SpamAssassin keep), in memory
/// for one gateway or in Redis shared by all. Counters only add and subtract, so instances learning at
/// the same time never lose an update, and a message can be unlearned exactly (forget, a relabel).
/// Every method throws <see cref="State.StateUnavailableException"/> when the store cannot be reached.
/// </summary>
public interface ISiteTokenStore
{
    /// <summary>The totals and the counts of <paramref name="tokens"/>, in one round trip.</summary>
    Task<SiteCounts> LookupAsync(IReadOnlyList<ulong> tokens, CancellationToken cancellationToken);

    /// <summary>Learns the message unless a guard stops it; all guards and counts change as one step.</summary>
    Task<LearnOutcome> LearnAsync(LearnedMessage message, LearnLimits limits, DateTimeOffset now, CancellationToken cancellationToken);

    /// <summary>Unlearns every message that <paramref name="source"/> (or, with <paramref name="bySenderDomain"/>, that sender domain) taught; how many.</summary>
    Task<long> ForgetAsync(string source, bool bySenderDomain, CancellationToken cancellationToken);

    Task<SiteStats> StatsAsync(CancellationToken cancellationToken);
}
