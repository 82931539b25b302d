using Gateway.Core.Configuration;

namespace Gateway.Core.Scoring;

/// <summary>
/// rules/weights.yaml, written by <c>gateway rules fit</c>: weights fitted to labelled mail that replace what
/// symbols.yaml, the rules and lists.yaml give, and the map from the classifier's probability to points
/// (instead of ML_SPAM/ML_HAM weight × factor). Optional: without it the hand-set weights apply. Loaded with
/// the rest of the folder (hot reload, refused with file:line when malformed).
/// </summary>
public sealed class WeightsFile
{
    /// <summary>Where the weights came from (command, date, sources, figures): kept for people, not read.</summary>
    public Dictionary<string, string> Fitted { get; init; } = [];

    public Dictionary<string, double> Weights { get; init; } = [];

    /// <summary>Points (p, score), p from 0 to 1 ascending, scores never falling; linear between them.</summary>
    public List<ClassifierMapPoint> ClassifierMap { get; init; } = [];

    internal void Validate(ConfigErrors errors, Func<string, bool> knownSymbol)
    {
        foreach (var (name, weight) in Weights)
        {
            errors.Require(knownSymbol(name), $"weights.{name}", "no check, rule or DNS list reports this symbol");
            errors.Require(double.IsFinite(weight), $"weights.{name}", "must be a number");
        }

        if (ClassifierMap.Count == 0)
        {
            return;
        }

        errors.Require(ClassifierMap.Count >= 2, "classifier_map", "needs at least two points (p: 0 and p: 1)");
        errors.Require(ClassifierMap[0].P == 0 && ClassifierMap[^1].P == 1, "classifier_map", "must start at p: 0 and end at p: 1");
        for (var i = 0; i < ClassifierMap.Count; i++)
        {
            var point = ClassifierMap[i];
            errors.Require(point.P is >= 0 and <= 1, $"classifier_map.{i}.p", "must be between 0 and 1");
            errors.Require(double.IsFinite(point.Score), $"classifier_map.{i}.score", "must be a number");
            if (i > 0)
            {
                errors.Require(point.P > ClassifierMap[i - 1].P, $"classifier_map.{i}.p", "must be more than the point before it");
                errors.Require(point.Score >= ClassifierMap[i - 1].Score, $"classifier_map.{i}.score", "must not be less than the point before it (a higher probability never scores less)");
            }
        }
    }
}

/// <summary>One point of the classifier map.</summary>
public sealed class ClassifierMapPoint
{
    public double P { get; init; }

    public double Score { get; init; }
}
