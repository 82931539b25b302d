namespace Gateway.Core.Scoring;

public sealed record ScoredSymbol(string Name, double Score, string? Detail);
