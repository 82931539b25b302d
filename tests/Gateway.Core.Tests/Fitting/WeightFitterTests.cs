using Gateway.Core.Fitting;
using Gateway.Core.Scoring;

namespace Gateway.Core.Tests.Fitting;

/// <summary>The fit behind gateway rules fit: budgets met as the gateway judges, constraints kept, an unmeetable budget reported.</summary>
public sealed class WeightFitterTests
{
    private static ScoringPolicy Policy()
    {
        var folder = Directory.CreateTempSubdirectory("fit-").FullName;
        File.WriteAllText(Path.Combine(folder, "actions.yaml"), "actions:\n  tag: 5\n  reject: 12\n");
        File.WriteAllText(Path.Combine(folder, "symbols.yaml"), "groups:\n  content: {max_score: 4}\n  classifier: {max_score: 6}\nsymbols:\n  ML_SPAM: {weight: 8.0, group: classifier}\n  ML_HAM: {weight: -2.0, group: classifier}\n  RARE: {weight: 3.0}\n");
        File.WriteAllText(Path.Combine(folder, "site.rules.yaml"), """
            rules:
              - name: SHARED_A
                when: {subject: {contains: a}}
                score: 3.0
                group: content
              - name: SHARED_B
                when: {subject: {contains: b}}
                score: 2.5
              - name: SPAMMY_C
                when: {subject: {contains: c}}
                score: 1.0
              - name: FORCED_TAG
                when: {subject: {contains: d}}
                action: tag
            """);
        return ScoringPolicy.LoadFolder(folder);
    }

    private static MassCheckEntry Entry(string source, bool spam, int n, double? p, params string[] symbols)
    {
        var hits = symbols.ToDictionary(symbol => symbol, _ => 1.0);
        if (p is { } probability)
        {
            var (symbol, factor) = Gateway.Core.Classification.ClassifierScoring.ToSymbol(probability);
            hits[symbol] = factor;
        }

        return new MassCheckEntry(source, spam, $"{n}.eml", hits, symbols.Contains("FORCED_TAG") ? ["tag:FORCED_TAG"] : [], p);
    }

    private static readonly LabelledSource Ham = new("ham", false, "/ham", 0.0);
    private static readonly LabelledSource Spam = new("spam", true, "/spam", null);

    [Fact]
    public void Ham_that_the_hand_set_weights_tag_is_brought_under_its_budget_while_spam_stays_caught()
    {
        var policy = Policy();
        var entries = new List<MassCheckEntry>();
        for (var i = 0; i < 40; i++)
        {
            entries.Add(Entry("ham", false, i, 0.2 + (i % 5 * 0.05), "SHARED_A", "SHARED_B")); // 5.5 - ML_HAM: about 4.5-5.3
            entries.Add(Entry("spam", true, i, 0.6 + (i % 5 * 0.05), "SHARED_A", "SHARED_B", "SPAMMY_C"));
        }

        var before = PolicyVerdicts.Count(entries, policy);
        var outcome = WeightFitter.Fit(entries, policy, [Ham, Spam], new FitOptions());
        var after = PolicyVerdicts.Count(entries, policy.WithFitted(outcome.Weights));

        Assert.True(before["ham"].Flagged > 0, "the hand-set weights flag some ham, or the test shows nothing");
        Assert.Empty(outcome.Unmeetable);
        Assert.Equal(0, after["ham"].Flagged);
        Assert.Equal(40, after["spam"].Flagged);
        Assert.InRange(outcome.Weights.Weights["SPAMMY_C"], 0, 2); // sign kept, at most twice the hand-set 1.0
        Assert.InRange(outcome.Weights.Weights["SHARED_A"], 0, 6);
        Assert.False(outcome.Weights.Weights.ContainsKey("RARE")); // never seen: kept
        Assert.False(outcome.Weights.Weights.ContainsKey("FORCED_TAG")); // a forced action is not evidence to weigh
        var map = outcome.Weights.ClassifierMap;
        Assert.Equal([0.0, 1.0], [map[0].P, map[^1].P]);
        Assert.All(map.Zip(map.Skip(1)), pair => Assert.True(pair.Second.Score >= pair.First.Score));
        Assert.All(map, point => Assert.InRange(point.Score, -4, 6)); // within the classifier group's cap
    }

    [Fact]
    public void A_budget_that_forced_actions_already_exceed_is_reported_not_met_by_pretending()
    {
        var policy = Policy();
        var entries = new List<MassCheckEntry>();
        for (var i = 0; i < 20; i++)
        {
            entries.Add(Entry("ham", false, i, 0.1, i < 3 ? ["FORCED_TAG"] : ["SHARED_A"]));
            entries.Add(Entry("spam", true, i, 0.95, "SHARED_A", "SPAMMY_C"));
        }

        var outcome = WeightFitter.Fit(entries, policy, [Ham with { Budget = 0.1 }, Spam], new FitOptions());

        var shortfall = Assert.Single(outcome.Unmeetable);
        Assert.Equal(new BudgetShortfall("ham", 20, 3, 2), shortfall);
    }

    [Fact]
    public void Folds_are_stable_and_each_message_is_judged_by_weights_fitted_without_it()
    {
        var entry = Entry("ham", false, 7, null, "SHARED_A");

        Assert.Equal(FitCrossValidation.FoldOf(entry, 5), FitCrossValidation.FoldOf(entry with { Symbols = new Dictionary<string, double>() }, 5));
        var folds = Enumerable.Range(0, 200).Select(i => FitCrossValidation.FoldOf(Entry("ham", false, i, null), 5)).ToList();
        Assert.All(Enumerable.Range(0, 5), fold => Assert.InRange(folds.Count(f => f == fold), 20, 60));
    }
}
