using Gateway.Core.Classification;

namespace Gateway.Core.Scoring;

/// <summary>
/// Points for the classifier's probability, piecewise linear between fitted points (weights.yaml), in place
/// of weight × factor. The probability is read back from ML_SPAM's or ML_HAM's factor, so whatever scaled the
/// factor (a short one-to-one message) scales the probability towards 0.5 the same way.
/// </summary>
public sealed class ClassifierMap
{
    private readonly double[] _p;
    private readonly double[] _score;

    public ClassifierMap(IReadOnlyList<ClassifierMapPoint> points)
    {
        _p = [.. points.Select(point => point.P)];
        _score = [.. points.Select(point => point.Score)];
    }

    public IReadOnlyList<double> Probabilities => _p;

    public IReadOnlyList<double> Scores => _score;

    public double ScoreAt(double probability) => Interpolate(_p, _score, probability);

    /// <summary>Linear between the knots, flat beyond the ends.</summary>
    public static double Interpolate(IReadOnlyList<double> knots, IReadOnlyList<double> values, double x)
    {
        if (x <= knots[0])
        {
            return values[0];
        }

        for (var i = 1; i < knots.Count; i++)
        {
            if (x <= knots[i])
            {
                var t = (x - knots[i - 1]) / (knots[i] - knots[i - 1]);
                return values[i - 1] + (t * (values[i] - values[i - 1]));
            }
        }

        return values[^1];
    }

    /// <summary>The score of a classifier symbol under this map; null for any other symbol.</summary>
    public double? ScoreOf(string symbol, double factor) =>
        ClassifierScoring.ProbabilityOf(symbol, factor) is { } probability ? ScoreAt(probability) : null;
}
