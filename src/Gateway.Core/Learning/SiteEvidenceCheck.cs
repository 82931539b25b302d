using System.Globalization;
using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.State;

namespace Gateway.Core.Learning;

/// <summary>
/// The site's own evidence in the pipeline: SITE_SPAM or SITE_HAM from the learned token statistics, with
/// the tokens that weighed most. Silent until the site has learned min_spam and min_ham messages, and
/// when the store cannot be reached (mail is never held up for it; <see cref="Unavailable"/> counts it).
/// </summary>
public sealed class SiteEvidenceCheck(ISiteTokenStore store, LearningOptions options) : IMessageCheck
{
    public const string SpamSymbol = "SITE_SPAM";
    public const string HamSymbol = "SITE_HAM";

    public string Name => "site";

    public CheckPhase Phase => CheckPhase.Data;

    public IReadOnlyList<string> DependsOn => [];

    /// <summary>Raised with the reason when the store could not be asked (metrics and a throttled warning).</summary>
    public event Action<string>? Unavailable;

    /// <summary>Raised with the site probability of every judged message (the contribution histogram).</summary>
    public event Action<double>? Judged;

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var tokens = SiteTokens.Of(message.Message, message.Features(cancellationToken));
        SiteCounts counts;
        try
        {
            counts = await store.LookupAsync(SiteTokens.Hashes(tokens), cancellationToken);
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
        var (symbol, factor) = Classification.ClassifierScoring.ToSymbol(verdict.SpamProbability, SpamSymbol, HamSymbol);
        var strongest = string.Join(", ", verdict.Strongest.Select(clue => string.Create(CultureInfo.InvariantCulture, $"\"{clue.Token}\" {clue.SpamProbability:0.00}")));
        message.Add(new SymbolHit(symbol, factor, string.Create(CultureInfo.InvariantCulture, $"p={verdict.SpamProbability:0.000} from {verdict.TokensUsed} site tokens ({counts.SpamMessages} spam, {counts.HamMessages} ham learned): {strongest}")));
        return CheckStatus.Completed;
    }
}
