using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Tests.Scoring;

/// <summary>rules/weights.yaml (written by gateway rules fit): it replaces weights and maps the classifier's p to points; a bad one is refused with file:line.</summary>
public sealed class WeightsFileTests
{
    private const string Rule = "  - name: CHEAP_PILLS\n    description: test\n    when:\n      subject: {contains: pills}\n    score: 3.0\n    group: body\n";

    private static string Folder(string? weights)
    {
        var folder = Directory.CreateTempSubdirectory("fitted-").FullName;
        File.WriteAllText(Path.Combine(folder, "actions.yaml"), "actions:\n  tag: 5\n  reject: 12\n");
        File.WriteAllText(Path.Combine(folder, "symbols.yaml"), "groups:\n  body: {max_score: 4}\n  classifier: {max_score: 6}\nsymbols:\n  ML_SPAM: {weight: 8.0, group: classifier}\n  ML_HAM: {weight: -2.0, group: classifier}\n");
        File.WriteAllText(Path.Combine(folder, "site.rules.yaml"), "rules:\n" + Rule);
        if (weights is not null)
        {
            File.WriteAllText(Path.Combine(folder, "weights.yaml"), weights);
        }

        return folder;
    }

    [Fact]
    public void Fitted_weights_replace_a_rules_score_and_the_map_replaces_the_classifiers_weight_times_factor()
    {
        var handSet = ScoringPolicy.LoadFolder(Folder(null));
        var fitted = ScoringPolicy.LoadFolder(Folder("fitted: {date: today}\nweights:\n  CHEAP_PILLS: 1.25\nclassifier_map:\n  - {p: 0, score: -1}\n  - {p: 0.5, score: 0}\n  - {p: 0.9, score: 2}\n  - {p: 1, score: 6}\n"));
        var hits = new[] { new SymbolHit("CHEAP_PILLS"), new SymbolHit("ML_SPAM", 0.9) }; // p = 0.95

        Assert.Equal(3.0 + 6.0, ScoreCalculator.Decide(hits, handSet).Score); // 8 x 0.9 capped at 6
        Assert.Equal(1.25 + 4.0, ScoreCalculator.Decide(hits, fitted).Score); // halfway from 2 to 6
        Assert.Equal(-0.5, ScoreCalculator.Decide([new SymbolHit("ML_HAM", 0.5)], fitted).Score); // p = 0.25
        Assert.Equal("body", fitted.GroupOfSymbol("CHEAP_PILLS"));
    }

    [Theory]
    [InlineData("weights:\n  CHEAP_PILS: 1.0\n", "weights.yaml:2: weights.CHEAP_PILS: no check, rule or DNS list reports this symbol")]
    [InlineData("weights:\n  CHEAP_PILLS: 1.0\nclassifier_map:\n  - {p: 0, score: 0}\n  - {p: 0.9, score: 5}\n  - {p: 1, score: 4}\n", "weights.yaml:6: classifier_map.2.score: must not be less than the point before it")]
    [InlineData("weights:\n  CHEAP_PILLS: 1.0\nclassifier_map:\n  - {p: 0.1, score: 0}\n  - {p: 1, score: 4}\n", "weights.yaml:3: classifier_map: must start at p: 0 and end at p: 1")]
    [InlineData("weights:\n  CHEAP_PILLS: lots\n", "weights.yaml:2:")]
    [InlineData("weigths:\n  CHEAP_PILLS: 1\n", "weights.yaml:1:")]
    public void A_malformed_weights_file_is_refused_with_file_and_line(string weights, string expected)
    {
        var folder = Folder(weights);

        var error = Assert.Throws<ConfigException>(() => ScoringPolicy.LoadFolder(folder));

        Assert.Contains(Path.Combine(folder, expected), error.Message, StringComparison.Ordinal);
    }
}
