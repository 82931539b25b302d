namespace Gateway.Core.Fitting;

/// <summary>
/// One message of a mass-check: what every check and rule reported (symbol and factor, before any weight),
/// the actions rules forced, and the classifier's probability. Weights are applied later, so one scan serves
/// every fit.
/// </summary>
/// <param name="Name">The message's path relative to its source (fold assignment and reports).</param>
/// <param name="Forced">Forced actions as "action:source" (reject:VIRUS).</param>
public sealed record MassCheckEntry(string Source, bool IsSpam, string Name, IReadOnlyDictionary<string, double> Symbols, IReadOnlyList<string> Forced, double? Probability);
