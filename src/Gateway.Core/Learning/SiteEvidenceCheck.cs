using System.Globalization;
using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.State;
using Gateway.Core.Classification;

namespace Gateway.Core.Learning;

/// <summary>
/// The site's own evidence in the pipeline: SITE_SPAM or SITE_HAM from the learned token statistics, with
/// the tokens that weighed most, and SITE_SENDER_HAM when the From domain, DMARC-proved, is one the site has
/// taught as ham (<see cref="LearningOptions.SenderMinHam"/>) and never as spam. Silent until the site has
/// learned min_spam and min_ham messages, and when the store cannot be reached (mail is never held up for
/// it; <see cref="Unavailable"/> counts it).
/// </summary>
public sealed class SiteEvidenceCheck(ISiteTokenStore store, LearningOptions options) : IMessageCheck
{
    public const string SpamSymbol = "SITE_SPAM";
    public const string HamSymbol = "SITE_HAM";
    public const string SenderHamSymbol = "SITE_SENDER_HAM";
    public const string UnsureSymbol = "SITE_UNSURE";

    public string Name => "site";

    /// <summary>
    /// The authentication checks whose results say who the sender is: "dmarc" (which runs after SPF, DKIM and
    /// ARC) where they run, given at construction (<see cref="AfterAuthentication"/>); without them every
    /// sender is unauthenticated.
    /// </summary>
    public IReadOnlyList<string> DependsOn { get; init; } = [];

    /// <summary>What <see cref="DependsOn"/> is when authentication runs (DNS on): after DMARC.</summary>
    public static readonly IReadOnlyList<string> AfterAuthentication = ["dmarc"];

    /// <summary>Raised with the reason when the store could not be asked (metrics and a throttled warning).</summary>
    public event Action<string>? Unavailable;

    /// <summary>Raised with the site probability of every judged message (the contribution histogram).</summary>
    public event Action<double>? Judged;

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var tokens = SiteTokens.Of(message.Message, message.Features(cancellationToken));
        var sender = SenderIdentity.AlignedOf(message);
        var hashes = SiteTokens.Hashes(tokens, sender);
        SiteCounts counts;
        try
        {
            counts = await store.LookupAsync(hashes, cancellationToken);
        }
        catch (StateUnavailableException exception)
        {
            Unavailable?.Invoke(exception.Message);
            return CheckStatus.Skipped;
        }

        if (counts.SpamMessages < options.MinSpam || counts.HamMessages < options.MinHam)
        {
            return CheckStatus.Skipped;
        }

        var verdict = SiteBayes.Combine(tokens, counts);
        Judged?.Invoke(verdict.SpamProbability);
        var (symbol, factor) = Score(verdict.SpamProbability);
        var strongest = string.Join(", ", verdict.Strongest.Select(clue => string.Create(CultureInfo.InvariantCulture, $"\"{clue.Token}\" {clue.SpamProbability:0.00}")));
        message.Add(new SymbolHit(symbol, factor, string.Create(CultureInfo.InvariantCulture, $"p={verdict.SpamProbability:0.000} from {verdict.TokensUsed} site tokens ({counts.SpamMessages} spam, {counts.HamMessages} ham learned): {strongest}")));
        // The sender's counts come last when it has a token (SiteTokens.Hashes); Combine reads the tokens' only.
        if (hashes.Count > tokens.Count && counts.Tokens[^1] is { Spam: 0 } taught && taught.Ham >= options.SenderMinHam)
        {
            message.Add(new SymbolHit(SenderHamSymbol, 1.0, string.Create(CultureInfo.InvariantCulture, $"{sender} (From, DMARC pass) was taught as ham {taught.Ham} times, never as spam")));
        }

        return CheckStatus.Completed;
    }

    /// <summary>
    /// SITE_SPAM above spam_cutoff and SITE_HAM below ham_cutoff, each rising from 0 at its cutoff to 1 at
    /// p = 1 or p = 0; between them SITE_UNSURE, which weighs nothing but still shows the evidence.
    /// </summary>
    public (string Symbol, double Factor) Score(double probability) =>
        probability > options.SpamCutoff ? (SpamSymbol, (probability - options.SpamCutoff) / (1 - options.SpamCutoff))
        : probability < options.HamCutoff ? (HamSymbol, (options.HamCutoff - probability) / options.HamCutoff)
        : (UnsureSymbol, 0.0);
}
