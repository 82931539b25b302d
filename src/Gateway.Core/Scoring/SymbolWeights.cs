using Gateway.Core.Rules;

namespace Gateway.Core.Scoring;

/// <summary>
/// Every symbol's weight and group, resolved once per policy snapshot from the three places that can
/// give one: symbols.yaml, a rule's own score and group, a DNS list's meaning. Scoring asks here (a
/// dictionary lookup) instead of searching the three files per symbol per message. A symbol given two
/// different weights is a mistake the operator cannot see from either file: it is refused at load.
/// </summary>
public sealed class SymbolWeights
{
    private readonly Dictionary<string, (double Weight, string? Group)> _bySymbol = new(StringComparer.Ordinal);

    private SymbolWeights()
    {
    }

    public double WeightOf(string symbol) => _bySymbol.TryGetValue(symbol, out var entry) ? entry.Weight : 0.0;

    public string? GroupOf(string symbol) => _bySymbol.TryGetValue(symbol, out var entry) ? entry.Group : null;

    /// <summary>The table, and the conflicts found building it (file:line where known).</summary>
    public static (SymbolWeights Weights, IReadOnlyList<string> Problems) Build(SymbolsFile symbols, RuleSet rules, Reputation.DnsListsFile lists, WeightsFile? fitted = null)
    {
        var table = new SymbolWeights();
        var where = new Dictionary<string, string>(StringComparer.Ordinal);
        var weightless = new HashSet<string>(StringComparer.Ordinal); // rules with only an action: a list may weigh them
        var problems = new List<string>();
        foreach (var (name, definition) in symbols.Symbols)
        {
            table._bySymbol[name] = (definition.Weight, definition.Group);
            where[name] = $"{ScoringPolicy.SymbolsFileName} (weight {definition.Weight:0.###})";
        }

        foreach (var rule in rules.Rules)
        {
            if (table._bySymbol.TryGetValue(rule.Name, out var declared))
            {
                // symbols.yaml may describe a rule's symbol (a description, a group); a second, different weight is the mistake.
                if (rule.Score is { } score && score != declared.Weight)
                {
                    problems.Add($"{rule.Location}: rule {rule.Name} scores {score:0.###}, but {where[rule.Name]} gives it another weight: keep one");
                }

                table._bySymbol[rule.Name] = (declared.Weight, declared.Group ?? rule.Group);
                continue;
            }

            table._bySymbol[rule.Name] = (rule.Score ?? 0.0, rule.Group);
            where[rule.Name] = $"{rule.Location} (score {rule.Score ?? 0:0.###})";
            if (rule.Score is null)
            {
                weightless.Add(rule.Name);
            }
        }

        foreach (var list in lists.Lists)
        {
            foreach (var meaning in list.Meanings)
            {
                if (table._bySymbol.TryGetValue(meaning.Symbol, out var earlier) && weightless.Remove(meaning.Symbol))
                {
                    table._bySymbol[meaning.Symbol] = (meaning.Score, earlier.Group);
                    where[meaning.Symbol] = $"{ScoringPolicy.ListsFileName}, list {list.Name} (score {meaning.Score:0.###})";
                    continue;
                }

                if (table._bySymbol.TryGetValue(meaning.Symbol, out earlier))
                {
                    if (meaning.Score != 0 && meaning.Score != earlier.Weight)
                    {
                        problems.Add($"{ScoringPolicy.ListsFileName}: list {list.Name} scores {meaning.Symbol} {meaning.Score:0.###}, but {where[meaning.Symbol]} gives it another weight: keep one");
                    }

                    continue;
                }

                table._bySymbol[meaning.Symbol] = (meaning.Score, null);
                where[meaning.Symbol] = $"{ScoringPolicy.ListsFileName}, list {list.Name} (score {meaning.Score:0.###})";
            }
        }

        // Fitted weights (weights.yaml) replace whichever of the three gave one; the group stays the symbol's own.
        foreach (var (name, weight) in fitted?.Weights ?? [])
        {
            table._bySymbol[name] = (weight, table.GroupOf(name));
        }

        return (table, problems);
    }
}
