using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Tests.Scoring;

public sealed class ScoreCalculatorTests
{
    private static ScoringPolicy Policy(CheckErrorFallback fallback = CheckErrorFallback.Accept) => new(
        new ActionsFile { Actions = new ActionThresholds { Tag = 5, Reject = 10 }, OnCheckError = fallback },
        new SymbolsFile
        {
            Groups = { ["dnsbl"] = new SymbolGroup { MaxScore = 6 } },
            Symbols =
            {
                ["BAD"] = new SymbolDefinition { Weight = 4 },
                ["GOOD"] = new SymbolDefinition { Weight = -2 },
                ["LIST_A"] = new SymbolDefinition { Weight = 5, Group = "dnsbl" },
                ["LIST_B"] = new SymbolDefinition { Weight = 5, Group = "dnsbl" },
            },
        });

    [Theory]
    [InlineData(new[] { "GOOD" }, VerdictAction.Accept, -2.0)]
    [InlineData(new[] { "BAD", "UNKNOWN" }, VerdictAction.Accept, 4.0)]
    [InlineData(new[] { "BAD", "BAD" }, VerdictAction.Tag, 8.0)]
    [InlineData(new[] { "BAD", "LIST_A", "LIST_B" }, VerdictAction.Reject, 10.0)]
    [InlineData(new[] { "BAD", "BAD", "LIST_A" }, VerdictAction.Reject, 13.0)]
    public void Thresholds_pick_the_action(string[] symbols, VerdictAction expected, double expectedScore)
    {
        var verdict = ScoreCalculator.Decide([.. symbols.Select(name => new SymbolHit(name))], Policy());

        Assert.Equal(expected, verdict.Action);
        Assert.Equal(expectedScore, verdict.Score, 3);
    }

    [Fact]
    public void Group_caps_limit_positive_totals()
    {
        var verdict = ScoreCalculator.Decide([new SymbolHit("LIST_A"), new SymbolHit("LIST_B")], Policy());

        Assert.Equal(6.0, verdict.Score, 3);
        Assert.Equal(10.0, verdict.Symbols.Sum(symbol => symbol.Score), 3);
    }

    [Fact]
    public void Factors_scale_weights() =>
        Assert.Equal(2.0, ScoreCalculator.Decide([new SymbolHit("BAD", 0.5)], Policy()).Score, 3);

    [Fact]
    public void Check_errors_tempfail_only_when_configured()
    {
        SymbolHit[] hits = [new(PipelineRunner.CheckErrorSymbol, 1, "dkim: timed out")];

        Assert.Equal(VerdictAction.Accept, ScoreCalculator.Decide(hits, Policy()).Action);
        Assert.Equal(VerdictAction.TempFail, ScoreCalculator.Decide(hits, Policy(CheckErrorFallback.Tempfail)).Action);
    }

    [Fact]
    public void The_shipped_rules_folder_loads()
    {
        var policy = ScoringPolicy.LoadFolder(Path.Combine(RepositoryRoot.Path, "rules"));

        Assert.True(policy.Actions.Actions.Reject > policy.Actions.Actions.Tag);
        Assert.Contains(PipelineRunner.CheckErrorSymbol, policy.Symbols.Symbols.Keys);
    }

    [Fact]
    public void Policy_errors_name_file_and_line()
    {
        var folder = Directory.CreateTempSubdirectory("rules");
        File.WriteAllText(Path.Combine(folder.FullName, "actions.yaml"), "actions:\n  tag: 9\n  reject: 3\n");
        File.WriteAllText(Path.Combine(folder.FullName, "symbols.yaml"), "symbols:\n  lower_case: {weight: 1}\n");

        var error = Assert.Throws<ConfigException>(() => ScoringPolicy.LoadFolder(folder.FullName));

        Assert.Equal($"{Path.Combine(folder.FullName, "actions.yaml")}:3: actions.reject: must be above the tag threshold (9)", error.Message);
    }
}

/// <summary>actions.yaml's bands: each threshold holds the scores from it up to the next one above it.</summary>
public sealed class ActionBandTests
{
    [Theory]
    [InlineData(4.9, VerdictAction.Accept)]
    [InlineData(5.0, VerdictAction.Tag)]
    [InlineData(7.9, VerdictAction.Tag)]
    [InlineData(8.0, VerdictAction.TempFail)]
    [InlineData(9.9, VerdictAction.TempFail)]
    [InlineData(10.0, VerdictAction.Quarantine)]
    [InlineData(12.0, VerdictAction.Reject)]
    public void The_highest_threshold_a_score_reaches_decides(double score, VerdictAction expected)
    {
        var thresholds = new ActionThresholds { Tag = 5, SoftReject = 8, Quarantine = 10, Reject = 12 };

        var withoutSoftReject = new ActionThresholds { Tag = 5, Quarantine = 10, Reject = 12 };

        Assert.Equal(expected, thresholds.ActionFor(score));
        Assert.Equal(expected == VerdictAction.TempFail ? VerdictAction.Tag : expected, withoutSoftReject.ActionFor(score));
    }
}
