using Gateway.Core.Configuration;

namespace Gateway.Core.Scoring;

/// <summary>rules/symbols.yaml: what each symbol weighs, and group caps.</summary>
public sealed class SymbolsFile
{
    public Dictionary<string, SymbolGroup> Groups { get; init; } = [];

    public Dictionary<string, SymbolDefinition> Symbols { get; init; } = [];

    internal void Validate(ConfigErrors errors)
    {
        foreach (var (name, group) in Groups)
        {
            errors.Require(group.MaxScore is null or > 0, $"groups.{name}.max_score", "must be more than 0");
        }

        foreach (var (name, symbol) in Symbols)
        {
            errors.Require(IsSymbolName(name), $"symbols.{name}", "symbol names are upper case letters, digits and _");
            errors.Require(double.IsFinite(symbol.Weight), $"symbols.{name}.weight", "must be a number");
            errors.Require(symbol.Group is null || Groups.ContainsKey(symbol.Group), $"symbols.{name}.group", $"group '{symbol.Group}' is not defined under groups");
        }
    }

    private static bool IsSymbolName(string name) =>
        name.Length > 0 && name.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_');
}
