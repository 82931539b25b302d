namespace Gateway.Core.Fuzzy;

/// <summary>What the store knows of a message's fingerprint.</summary>
/// <param name="SpamShare">Share of the 32 text min-hashes learned as spam (0 without a text fingerprint).</param>
/// <param name="HamShare">Share learned as ham.</param>
/// <param name="AttachmentSpam">An attachment or image learned as spam, byte for byte.</param>
/// <param name="AttachmentHam">An attachment or image learned as ham.</param>
/// <param name="BulkSessions">SMTP sessions that carried a near-identical text within fuzzy.bulk_window, this one included.</param>
public sealed record FuzzyMatch(double SpamShare, double HamShare, bool AttachmentSpam, bool AttachmentHam, long BulkSessions)
{
    public static readonly FuzzyMatch None = new(0, 0, false, false, 0);
}

/// <summary>
/// Learned fingerprints and the recent sightings for bulk counts, on the state backend: <see cref="MemoryFuzzyStore"/>
/// for one instance, <see cref="RedisFuzzyStore"/> for many (one pipelined round trip per lookup). Keys come from
/// <see cref="FuzzyKeys"/>, so both stores hold the same thing. Failures to reach Redis are StateUnavailableException.
/// </summary>
public interface IFuzzyStore
{
    /// <summary>Looks the fingerprint up and counts this SMTP session (<paramref name="session"/>) as a sighting for bulk.</summary>
    Task<FuzzyMatch> LookupAsync(FuzzyFingerprint fingerprint, string session, CancellationToken cancellationToken);

    Task LearnAsync(FuzzyFingerprint fingerprint, bool isSpam, CancellationToken cancellationToken);

    /// <summary>Takes back one learning of the fingerprint as that class (gateway learn forget --fuzzy).</summary>
    Task ForgetAsync(FuzzyFingerprint fingerprint, bool isSpam, CancellationToken cancellationToken);
}

/// <summary>The keys fingerprints are kept under, for both stores.</summary>
public static class FuzzyKeys
{
    /// <summary>Slots whose sightings are counted for bulk: enough for a median that one shared footer cannot move.</summary>
    public const int BulkSlots = 8;

    public static IEnumerable<string> Text(FuzzyFingerprint fingerprint) =>
        fingerprint.Shingles.Select((value, slot) => $"fz:t:{slot}:{value:x16}");

    public static IEnumerable<string> Attachments(FuzzyFingerprint fingerprint) => fingerprint.Attachments.Select(hash => $"fz:a:{hash}");

    public static IEnumerable<string> Bulk(FuzzyFingerprint fingerprint) =>
        fingerprint.Shingles.Take(BulkSlots).Select((value, slot) => $"fz:b:{slot}:{value:x16}");

    /// <summary>The median of the bulk slots' counts: near-identical copies share most slots, unrelated mail few.</summary>
    public static long Median(IReadOnlyList<long> counts)
    {
        if (counts.Count == 0)
        {
            return 0;
        }

        var sorted = counts.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
