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
        var (index, t) = Segment(knots, x);
        return index + 1 < values.Count ? ((1 - t) * values[index]) + (t * values[index + 1]) : values[index];
    }

    /// <summary>
    /// Where x falls: the knot it follows and how far towards the next (0..1); (0, 0) before the first knot and
    /// (last, 0) beyond the last. The fit weighs the two knots by this too, so it scores exactly as the gateway does.
    /// </summary>
    public static (int Index, double T) Segment(IReadOnlyList<double> knots, double x)
    {
        for (var i = 1; i < knots.Count; i++)
        {
            if (x <= knots[i])
            {
                return (i - 1, Math.Clamp((x - knots[i - 1]) / (knots[i] - knots[i - 1]), 0, 1));
            }
        }

        return (knots.Count - 1, 0);
    }

    /// <summary>The score of a classifier symbol under this map; null for any other symbol.</summary>
    public double? ScoreOf(string symbol, double factor) =>
        ClassifierScoring.ProbabilityOf(symbol, factor) is { } probability ? ScoreAt(probability) : null;
}
