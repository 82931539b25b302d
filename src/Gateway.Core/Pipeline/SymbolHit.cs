namespace Gateway.Core.Pipeline;

/// <summary>
/// One finding of a check. The weight lives in rules/symbols.yaml, so the score is weight × factor
/// (rspamd's model); a check never decides the verdict itself.
/// </summary>
public sealed record SymbolHit(string Name, double Factor = 1.0, string? Detail = null);
