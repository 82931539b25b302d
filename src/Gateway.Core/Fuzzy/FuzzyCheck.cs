using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.State;

namespace Gateway.Core.Fuzzy;

/// <summary>
/// FUZZY_SPAM and FUZZY_HAM when the message is a near-duplicate of mail the site learned (its share of the 32
/// min-hashes that match, or 1 for an attachment or image learned byte for byte), and FUZZY_BULK when
/// near-identical text came in fuzzy.bulk_sessions SMTP sessions or more within fuzzy.bulk_window, as DCC counts.
/// Bulk is not spam (newsletters are bulk too): FUZZY_BULK weighs too little to tag on its own. The store out of
/// reach leaves the symbols out (<see cref="Unavailable"/> counts it); mail never waits for it.
/// </summary>
public sealed class FuzzyCheck(IFuzzyStore store, FuzzyOptions options) : IMessageCheck
{
    public const string Spam = "FUZZY_SPAM";
    public const string Ham = "FUZZY_HAM";
    public const string Bulk = "FUZZY_BULK";

    public string Name => "fuzzy";

    public IReadOnlyList<string> DependsOn => [];

    public event Action<string>? Unavailable;

    /// <summary>What each lookup found ("spam", "ham", "bulk", "none"), for the metrics.</summary>
    public event Action<string>? Looked;

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var fingerprint = FuzzyFingerprint.Of(message.Message, options.MinWords);
        if (fingerprint.IsEmpty)
        {
            return CheckStatus.Skipped;
        }

        FuzzyMatch match;
        try
        {
            match = await store.LookupAsync(fingerprint, message.SessionId, cancellationToken);
        }
        catch (StateUnavailableException exception)
        {
            Unavailable?.Invoke(exception.Message);
            return CheckStatus.Skipped;
        }

        var found = "none";
        if (Strength(match.SpamShare, match.AttachmentSpam) is > 0 and var spam)
        {
            message.Add(new SymbolHit(Spam, spam, Detail(match.SpamShare, match.AttachmentSpam, "spam")));
            found = "spam";
        }

        if (Strength(match.HamShare, match.AttachmentHam) is > 0 and var ham)
        {
            message.Add(new SymbolHit(Ham, ham, Detail(match.HamShare, match.AttachmentHam, "ham")));
            found = found == "spam" ? "both" : "ham";
        }

        if (match.BulkSessions >= options.BulkSessions)
        {
            message.Add(new SymbolHit(Bulk, 1.0, $"near-identical text in {match.BulkSessions} sessions within {options.BulkWindow}"));
            found = found == "none" ? "bulk" : found;
        }

        Looked?.Invoke(found);
        return CheckStatus.Completed;
    }

    /// <summary>The factor: the matching share from fuzzy.match up, 1 for an attachment learned byte for byte, else 0.</summary>
    private double Strength(double share, bool attachment) => attachment ? 1.0 : share >= options.Match ? share : 0;

    private static string Detail(double share, bool attachment, string learnedAs) =>
        attachment && share < 1
            ? $"an attachment or image learned as {learnedAs}"
            : $"{Math.Round(share * FuzzyFingerprint.Slots)} of {FuzzyFingerprint.Slots} text min-hashes learned as {learnedAs}";
}
