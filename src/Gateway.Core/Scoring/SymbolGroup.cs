namespace Gateway.Core.Scoring;

/// <summary>A group of symbols whose positive total is capped, so one family of evidence cannot decide alone.</summary>
public sealed class SymbolGroup
{
    public double? MaxScore { get; init; }

    public string? Description { get; init; }
}
