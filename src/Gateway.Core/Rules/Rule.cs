using Gateway.Core.Pipeline;

namespace Gateway.Core.Rules;

/// <summary>One compiled rule: when its condition holds, its name is reported as a symbol (weight = score) and its action forced.</summary>
/// <param name="Reply">For reject and tempfail, the reply as the operator wrote it, parsed at load; null: the action's usual one.</param>
/// <param name="Group">The symbols.yaml group its score counts in (and is capped with); null: none.</param>
/// <param name="References">Symbols its condition names (<c>symbol: {in: [...]}</c>), with where: such a
/// rule is a composite and is evaluated after every rule it names.</param>
public sealed record Rule(string Name, string? Description, Func<MessageView, bool> When, double? Score, VerdictAction? Action, Pipeline.SmtpReply? Reply, string Location)
{
    public string? Group { get; init; }

    /// <summary>Where the group is named (file:line:col), for the error when symbols.yaml has no such group.</summary>
    public string? GroupLocation { get; init; }

    public IReadOnlyList<SymbolReference> References { get; init; } = [];

    public bool IsComposite => References.Count > 0;
}

/// <summary>A symbol named in a rule's condition, and where (file:line:col).</summary>
public sealed record SymbolReference(string Symbol, string Location);

/// <summary>All rules of a rules folder, compiled once; immutable, swapped whole on reload.</summary>
public sealed record RuleSet(IReadOnlyList<Rule> Rules)
{
    public static readonly RuleSet Empty = new([]);

    /// <summary>The folder's brands.yaml (the brand.* fields); empty without one.</summary>
    public Brands.BrandCatalog Brands { get; init; } = Gateway.Core.Rules.Brands.BrandCatalog.Empty;

    // Asked once per symbol of every message (weights, metrics): a lookup, not a scan of the rules.
    private readonly Dictionary<string, Rule> _byName = Rules.ToDictionary(rule => rule.Name, StringComparer.Ordinal);

    public bool Contains(string symbol) => _byName.ContainsKey(symbol);

    public Rule? Find(string symbol) => _byName.GetValueOrDefault(symbol);

    public string? DescriptionOf(string symbol) => _byName.TryGetValue(symbol, out var rule) ? rule.Description : null;
}
