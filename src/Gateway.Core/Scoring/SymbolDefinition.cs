namespace Gateway.Core.Scoring;

/// <summary>One entry of rules/symbols.yaml.</summary>
public sealed class SymbolDefinition
{
    public double Weight { get; set; }

    public string? Group { get; set; }

    public string? Description { get; set; }
}
