namespace Gateway.Core.Learning;

/// <summary>One token's part in a verdict: its name and its spam probability f(w).</summary>
public readonly record struct TokenEvidence(string Token, double SpamProbability);

/// <summary>The site's verdict on a message: the combined probability and the tokens that weighed most.</summary>
public sealed record SiteVerdict(double SpamProbability, int TokensUsed, IReadOnlyList<TokenEvidence> Strongest);

/// <summary>
/// Bayes as SpamBayes, bogofilter and SpamAssassin do it: each token's spam probability from how often
/// it appeared in learned spam and ham (relative to how much of each was learned), pulled towards 0.5
/// while rare (Robinson's f(w) with strength 1), and the most telling 150 combined by Fisher's
/// chi-square method, which says 0.5 when the evidence points both ways instead of guessing.
/// </summary>
public static class SiteBayes
{
    private const double Strength = 1.0;
    private const double Neutral = 0.5;

    /// <summary>Tokens nearer 0.5 than this say nothing and are left out.</summary>
    private const double MinimumDeviation = 0.1;

    private const int MaxTokens = 150;

    public static SiteVerdict Combine(IReadOnlyList<string> tokens, SiteCounts counts, int strongest = 5)
    {
        var spamTotal = Math.Max(1, counts.SpamMessages);
        var hamTotal = Math.Max(1, counts.HamMessages);
        var clues = new List<TokenEvidence>();
        for (var i = 0; i < tokens.Count; i++)
        {
            var (spam, ham) = (counts.Tokens[i].Spam, counts.Tokens[i].Ham);
            var seen = spam + ham;
            if (seen == 0)
            {
                continue;
            }

            var spamRatio = Math.Min(1.0, (double)spam / spamTotal);
            var hamRatio = Math.Min(1.0, (double)ham / hamTotal);
            var p = spamRatio / (spamRatio + hamRatio);
            var f = ((Strength * Neutral) + (seen * p)) / (Strength + seen);
            if (Math.Abs(f - Neutral) >= MinimumDeviation)
            {
                clues.Add(new TokenEvidence(tokens[i], f));
            }
        }

        clues.Sort((a, b) => Math.Abs(b.SpamProbability - Neutral).CompareTo(Math.Abs(a.SpamProbability - Neutral)));
        if (clues.Count > MaxTokens)
        {
            clues.RemoveRange(MaxTokens, clues.Count - MaxTokens);
        }

        if (clues.Count == 0)
        {
            return new SiteVerdict(Neutral, 0, []);
        }

        double logHam = 0, logSpam = 0;
        foreach (var clue in clues)
        {
            logHam += Math.Log(clue.SpamProbability);
            logSpam += Math.Log(1 - clue.SpamProbability);
        }

        var spamminess = 1 - ChiSquareSurvival(-2 * logSpam, 2 * clues.Count);
        var hamminess = 1 - ChiSquareSurvival(-2 * logHam, 2 * clues.Count);
        return new SiteVerdict((spamminess - hamminess + 1) / 2, clues.Count, [.. clues.Take(strongest)]);
    }

    /// <summary>P(X >= chi) for chi-square with an even number of degrees of freedom (the series SpamBayes uses).</summary>
    internal static double ChiSquareSurvival(double chi, int degreesOfFreedom)
    {
        var m = chi / 2;
        var term = Math.Exp(-m);
        var sum = term;
        for (var i = 1; i < degreesOfFreedom / 2; i++)
        {
            term *= m / i;
            sum += term;
        }

        return Math.Min(sum, 1.0);
    }
}
