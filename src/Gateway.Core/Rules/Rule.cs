using Gateway.Core.Scoring;

namespace Gateway.Core.Rules;

/// <summary>One compiled rule: when its condition holds, its name is reported as a symbol (weight = score) and its action forced.</summary>
public sealed record Rule(string Name, string? Description, Func<MessageView, bool> When, double? Score, VerdictAction? Action, string? Reply, string Location);

/// <summary>All rules of a rules folder, compiled once; immutable, swapped whole on reload.</summary>
public sealed record RuleSet(IReadOnlyList<Rule> Rules)
{
    public static readonly RuleSet Empty = new([]);

    // Asked once per symbol of every message (weights, metrics): a lookup, not a scan of the rules.
    private readonly Dictionary<string, Rule> _byName = Rules.ToDictionary(rule => rule.Name, StringComparer.Ordinal);

    public bool Contains(string symbol) => _byName.ContainsKey(symbol);

    public double? WeightOf(string symbol) => _byName.TryGetValue(symbol, out var rule) ? rule.Score : null;
}
