using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Tests.Scoring;

/// <summary>
/// The shipped policy's promise (ARCHITECTURE.md, "Independent evidence to refuse"): the classifier, the
/// content heuristics and MIME trouble together can tag, never reject; one independent kind of evidence
/// (a phishing rule, authentication failing under the sender's policy) makes a reject possible.
/// </summary>
public sealed class ShippedPolicyTests
{
    private static readonly ScoringPolicy Shipped = ScoringPolicy.LoadFolder(Path.Combine(RepositoryRoot.Path, "rules"));

    /// <summary>Every symbol of the classifier, content and mime groups, each at its strongest.</summary>
    private static List<SymbolHit> ContentOnly() =>
    [
        new("ML_SPAM", 1.0, "p=1.000"),
        new("MIME_PARSE_ERROR", 1.0, null),
        .. Shipped.Rules.Rules.Where(rule => rule.Group == "content").Select(rule => new SymbolHit(rule.Name, 1.0, null)),
    ];

    [Fact]
    public void A_certain_classifier_with_every_content_heuristic_tags_but_never_rejects()
    {
        var verdict = ScoreCalculator.Decide(ContentOnly(), Shipped);

        Assert.Equal(VerdictAction.Tag, verdict.Action);
        Assert.True(verdict.Score < Shipped.Actions.Actions.Reject, $"score {verdict.Score}");
    }

    [Theory]
    [InlineData("CREDENTIAL_PHISH_WORDING")]
    [InlineData("SPF_FAIL", "SPF_FAIL_NO_DKIM")]
    [InlineData("DMARC_POLICY_QUARANTINE")]
    public void An_independent_kind_of_evidence_makes_the_same_message_a_reject(params string[] corroboration)
    {
        var verdict = ScoreCalculator.Decide([.. ContentOnly(), .. corroboration.Select(name => new SymbolHit(name, 1.0, null))], Shipped);

        Assert.Equal(VerdictAction.Reject, verdict.Action);
    }

    /// <summary>The shipped weights.yaml maps p to points (gateway rules fit): the classifier alone tags from about p 0.83 and never rejects.</summary>
    [Fact]
    public void The_classifier_alone_tags_from_the_fitted_map_and_never_rejects()
    {
        static Verdict At(double p) => ScoreCalculator.Decide([new SymbolHit("ML_SPAM", (p - 0.5) * 2, null)], Shipped);

        Assert.NotNull(Shipped.ClassifierMap);
        Assert.Equal(VerdictAction.Tag, At(0.85).Action);
        Assert.Equal(VerdictAction.Accept, At(0.8).Action);
        Assert.Equal(VerdictAction.Tag, At(1.0).Action);
        Assert.All(Shipped.ClassifierMap!.Scores, score => Assert.True(score <= Shipped.Symbols.Groups["classifier"].MaxScore, $"map point {score} above the classifier cap"));
    }
}
