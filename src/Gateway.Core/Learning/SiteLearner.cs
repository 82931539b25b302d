using Gateway.Core.Classification;
using Gateway.Core.Configuration;
using Gateway.Core.Headers;
using MimeKit;

namespace Gateway.Core.Learning;

/// <summary>
/// Teaches the site model one message: tokens, key and sender identity worked out here, guards and counts
/// in the store (<see cref="ISiteTokenStore.LearnAsync"/>). Every way of learning — the CLI, the IMAP
/// collector, the quarantine, autolearn, the admin endpoint — comes through here.
/// </summary>
/// <param name="fuzzy">The fuzzy store (fuzzy.enabled): what is learned here, past the guards, is learned there too.</param>
public sealed class SiteLearner(ISiteTokenStore store, LearningOptions options, TimeProvider time, Fuzzy.IFuzzyStore? fuzzy = null, int fuzzyMinWords = 12)
{
    public ISiteTokenStore Store => store;

    public LearnLimits Limits { get; } = new(options.MaxPerSenderDomainPerDay, options.MaxPerSourcePerDay, options.MaxTokens, options.TokenTtl);

    /// <param name="senderDomain">From <see cref="SenderIdentity"/>: the live scan's, or the one our stamped Authentication-Results prove.</param>
    /// <param name="alignedSender">The From organisation DMARC proved, or null (<see cref="SenderIdentity.AlignedOf(MimeMessage, ResultsSeal)"/>): the sender reputation is kept for it only.</param>
    /// <param name="unlimited">No per-day caps: an operator's own bulk import (<c>gateway learn --no-caps</c>).</param>
    public async Task<LearnOutcome> LearnAsync(MimeMessage message, ReadOnlyMemory<byte> raw, bool isSpam, string source, string senderDomain, string? alignedSender, CancellationToken cancellationToken, bool unlimited = false)
    {
        var learned = Describe(message, raw, isSpam, source, senderDomain, alignedSender, cancellationToken);
        var outcome = await store.LearnAsync(learned, unlimited ? Limits with { PerSenderDomainPerDay = 0, PerSourcePerDay = 0 } : Limits, time.GetUtcNow(), cancellationToken);
        if (outcome is LearnOutcome.Learned or LearnOutcome.Conflict && FingerprintOf(message) is { } fingerprint)
        {
            // Only what passed the guards (caps, duplicates): the same poisoning limits hold for both. A conflict is a
            // correction (a message learned as spam now released as ham): its earlier learning is taken back here too.
            await (outcome == LearnOutcome.Learned ? fuzzy!.LearnAsync(fingerprint, isSpam, cancellationToken) : fuzzy!.ForgetAsync(fingerprint, !isSpam, cancellationToken));
        }

        return outcome;
    }

    /// <summary>Takes back one fuzzy learning of a stored message as that class (gateway learn forget --fuzzy); false when fuzzy is off or the message has no fingerprint.</summary>
    public async Task<bool> ForgetFuzzyAsync(byte[] raw, bool isSpam, CancellationToken cancellationToken)
    {
        if (fuzzy is null || FingerprintOf(await MimeMessage.LoadAsync(new MemoryStream(raw, writable: false), cancellationToken)) is not { } fingerprint)
        {
            return false;
        }

        await fuzzy.ForgetAsync(fingerprint, isSpam, cancellationToken);
        return true;
    }

    /// <summary>The fuzzy hashes alone (fuzzy.learn_rejects): what the score rejected, not taught to the site's tokens.</summary>
    public async Task LearnFuzzyAsync(MimeMessage message, bool isSpam, CancellationToken cancellationToken)
    {
        if (FingerprintOf(message) is { } fingerprint)
        {
            await fuzzy!.LearnAsync(fingerprint, isSpam, cancellationToken);
        }
    }

    /// <summary>The message's fuzzy fingerprint; null when fuzzy is off or the message has none (too few words, no attachment).</summary>
    private Fuzzy.FuzzyFingerprint? FingerprintOf(MimeMessage message) =>
        fuzzy is not null && Fuzzy.FuzzyFingerprint.Of(message, fuzzyMinWords) is { IsEmpty: false } fingerprint ? fingerprint : null;

    /// <summary>
    /// A stored message (a file, a mailbox, the quarantine): parsed here, its sender identity taken from
    /// the Authentication-Results our gateway stamped and sealed (<see cref="SenderIdentity.Of(MimeMessage, ResultsSeal)"/>);
    /// without a seal that holds it is learned without a sender identity.
    /// </summary>
    public async Task<LearnOutcome> LearnRawAsync(byte[] raw, bool isSpam, string source, ResultsSeal seal, CancellationToken cancellationToken, bool unlimited = false)
    {
        var message = await MimeMessage.LoadAsync(new MemoryStream(raw, writable: false), cancellationToken);
        return await LearnAsync(message, raw, isSpam, source, SenderIdentity.Of(message, seal), SenderIdentity.AlignedOf(message, seal), cancellationToken, unlimited);
    }

    public static LearnedMessage Describe(MimeMessage message, ReadOnlyMemory<byte> raw, bool isSpam, string source, string senderDomain, string? alignedSender, CancellationToken cancellationToken)
    {
        var tokens = SiteTokens.Of(message, MessageFeatures.Extract(message, raw.Length, cancellationToken));
        return new LearnedMessage(SiteTokens.MessageKey(raw.Span), isSpam, Clean(source), Clean(senderDomain), SiteTokens.Hashes(tokens, alignedSender));
    }

    /// <summary>Names go into store keys and stats: no white space or control characters, bounded length.</summary>
    private static string Clean(string name)
    {
        var cleaned = new string([.. name.Where(c => !char.IsWhiteSpace(c) && !char.IsControl(c)).Take(200)]);
        return cleaned.Length == 0 ? "-" : cleaned;
    }
}
