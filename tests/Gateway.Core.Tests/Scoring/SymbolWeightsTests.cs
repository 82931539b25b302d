using Gateway.Core.Configuration;
using Gateway.Core.Scoring;

namespace Gateway.Core.Tests.Scoring;

/// <summary>One resolution of a symbol's weight and group per policy (issue 23); two different weights for one symbol are refused.</summary>
public sealed class SymbolWeightsTests
{
    private static string Folder(string symbols, string rules, string? lists = null)
    {
        var folder = Directory.CreateTempSubdirectory("weights-").FullName;
        File.WriteAllText(Path.Combine(folder, "actions.yaml"), "actions:\n  tag: 5\n  reject: 12\n");
        File.WriteAllText(Path.Combine(folder, "symbols.yaml"), "groups:\n  body: {max_score: 4}\nsymbols:\n" + symbols);
        File.WriteAllText(Path.Combine(folder, "site.rules.yaml"), "rules:\n" + rules);
        if (lists is not null)
        {
            File.WriteAllText(Path.Combine(folder, "lists.yaml"), "lists:\n" + lists);
        }

        return folder;
    }

    private const string Rule = "  - name: CHEAP_PILLS\n    description: test\n    when:\n      subject: {contains: pills}\n    score: 3.0\n    group: body\n";

    [Fact]
    public void A_rule_described_in_symbols_yaml_with_the_same_weight_is_one_symbol_with_its_group()
    {
        var policy = ScoringPolicy.LoadFolder(Folder("  CHEAP_PILLS: {weight: 3.0, description: says so}\n", Rule));

        Assert.Equal(3.0, policy.WeightOf("CHEAP_PILLS"));
        Assert.Equal("body", policy.GroupOfSymbol("CHEAP_PILLS"));
        Assert.Equal(0.0, policy.WeightOf("NOT_A_SYMBOL"));
    }

    [Fact]
    public void A_symbol_given_two_different_weights_is_refused_with_the_rules_position()
    {
        var folder = Folder("  CHEAP_PILLS: {weight: 1.5}\n", Rule);

        var error = Assert.Throws<ConfigException>(() => ScoringPolicy.LoadFolder(folder));

        Assert.Contains($"{Path.Combine(folder, "site.rules.yaml")}:2", error.Message, StringComparison.Ordinal);
        Assert.Contains("rule CHEAP_PILLS scores 3, but symbols.yaml (weight 1.5) gives it another weight: keep one", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dns_list_cannot_weigh_a_symbol_a_rule_already_weighs()
    {
        var lists = "  - name: TEST_DBL\n    zone: dbl.test\n    kind: domain\n    enabled: false\n    codes:\n      127.0.1.2: {symbol: CHEAP_PILLS, score: 6.0}\n";

        var error = Assert.Throws<ConfigException>(() => ScoringPolicy.LoadFolder(Folder(string.Empty, Rule, lists)));

        Assert.Contains("lists.yaml: list TEST_DBL scores CHEAP_PILLS 6, but", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_shipped_policy_gives_every_symbol_one_weight()
    {
        var policy = ScoringPolicy.LoadFolder(Path.Combine(Gateway.Tests.Shared.RepositoryRoot.Path, "rules"));

        // weights.yaml (gateway rules fit) replaces what the other files say; everything else has one weight from them.
        var fitted = policy.Fitted?.Weights ?? [];
        foreach (var (name, definition) in policy.Symbols.Symbols)
        {
            Assert.Equal(fitted.TryGetValue(name, out var weight) ? weight : definition.Weight, policy.WeightOf(name));
        }

        Assert.All(policy.Rules.Rules.Where(rule => rule.Score is not null && !policy.Symbols.Symbols.ContainsKey(rule.Name)), rule => Assert.Equal(fitted.TryGetValue(rule.Name, out var weight) ? weight : rule.Score!.Value, policy.WeightOf(rule.Name)));
        Assert.All(fitted.Keys, name => Assert.True(policy.Rules.Contains(name) || policy.Symbols.Symbols.ContainsKey(name), name));
    }
}

/// <summary>SymbolCatalog's hand list lacked DMARC_TOO_MANY_FROM (issue 34): every symbol a check names in the source is in it.</summary>
public sealed class SymbolCatalogTests
{
    [Fact]
    public void Every_symbol_a_check_reports_by_name_is_known_to_the_catalog()
    {
        var source = Path.Combine(Gateway.Tests.Shared.RepositoryRoot.Path, "src");
        var named = Directory.GetFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(file => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(file), "new SymbolHit\\(\"([A-Z0-9_]+)\"|const string \\w*Symbol = \"([A-Z0-9_]+)\"").Select(match => match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value))
            .Distinct().ToList();

        Assert.NotEmpty(named);
        Assert.All(named, symbol => Assert.True(SymbolCatalog.IsKnown(symbol, Gateway.Core.Rules.RuleSet.Empty, new SymbolsFile(), new Gateway.Core.Reputation.DnsListsFile()), $"{symbol} is reported by a check but unknown to SymbolCatalog"));
    }
}
