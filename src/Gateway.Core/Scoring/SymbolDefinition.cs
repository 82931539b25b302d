namespace Gateway.Core.Scoring;

/// <summary>One entry of rules/symbols.yaml.</summary>
public sealed class SymbolDefinition
{
    public double Weight { get; init; }

    public string? Group { get; init; }

    public string? Description { get; init; }
}
