using Gateway.Core.Classification;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Fitting;

/// <summary>
/// A mass-check log as numbers a fit can move quickly: per message, the score of what the fit may not change
/// (per group), the free weights' factors, and the classifier's probability. The score is the gateway's:
/// group sums capped at max_score, the classifier map's points in the classifier's group.
/// </summary>
internal sealed class FitProblem
{
    /// <summary>Where the classifier map has its points: dense where the tag decision lies.</summary>
    public static readonly double[] MapKnots = [0, 0.1, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 1];

    private const int HalfKnot = 3; // MapKnots[3] == 0.5: an undecided classifier scores nothing

    private readonly Row[] _rows;
    private readonly double[] _caps;
    private readonly int _classifierGroup;

    public FitProblem(IReadOnlyList<MassCheckEntry> entries, ScoringPolicy policy, int minHits)
    {
        Tag = policy.Actions.Actions.Tag;
        var groupNames = new List<string?> { null };
        int GroupIndex(string? name)
        {
            var index = groupNames.IndexOf(name);
            if (index < 0)
            {
                groupNames.Add(name);
                index = groupNames.Count - 1;
            }

            return index;
        }

        var hits = entries.SelectMany(entry => entry.Symbols.Where(symbol => symbol.Value != 0).Select(symbol => symbol.Key))
            .GroupBy(name => name, StringComparer.Ordinal).ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);
        Free = [.. hits.Where(pair => pair.Value >= minHits && IsFittable(pair.Key, policy)).Select(pair => pair.Key).Order(StringComparer.Ordinal)];
        var freeIndex = Free.Select((name, index) => (name, index)).ToDictionary(pair => pair.name, pair => pair.index, StringComparer.Ordinal);
        var classifierHits = hits.GetValueOrDefault(ClassifierScoring.SpamSymbol) + hits.GetValueOrDefault(ClassifierScoring.HamSymbol);
        FitsMap = classifierHits >= minHits;
        _classifierGroup = GroupIndex(policy.GroupOfSymbol(ClassifierScoring.SpamSymbol));

        Initial = new double[Free.Count + (FitsMap ? MapKnots.Length : 0)];
        Lower = new double[Initial.Length];
        Upper = new double[Initial.Length];
        for (var i = 0; i < Free.Count; i++)
        {
            // Sign kept, at most twice the hand-set weight: a fit adjusts evidence, it does not invent or invert it.
            var weight = policy.WeightOf(Free[i]);
            Initial[i] = weight;
            (Lower[i], Upper[i]) = weight > 0 ? (0.0, 2 * weight) : (2 * weight, 0.0);
        }

        var classifierCap = policy.Symbols.Groups.GetValueOrDefault(groupNames[_classifierGroup] ?? string.Empty)?.MaxScore;
        var spamWeight = policy.WeightOf(ClassifierScoring.SpamSymbol);
        var hamWeight = policy.WeightOf(ClassifierScoring.HamSymbol);
        MapCeiling = classifierCap ?? (2 * spamWeight);
        MapFloor = Math.Min(2 * hamWeight, 0);
        if (FitsMap)
        {
            for (var k = 0; k < MapKnots.Length; k++)
            {
                var (symbol, factor) = ClassifierScoring.ToSymbol(MapKnots[k]);
                var index = Free.Count + k;
                Initial[index] = Math.Min(policy.WeightOf(symbol) * factor, MapCeiling);
                (Lower[index], Upper[index]) = (MapFloor, MapCeiling);
            }
        }

        _rows = [.. entries.Select(entry => ToRow(entry, policy, freeIndex, GroupIndex))];
        _caps = [.. groupNames.Select(name => name is not null && policy.Symbols.Groups.TryGetValue(name, out var group) && group.MaxScore is { } cap ? cap : double.PositiveInfinity)];
    }

    public double Tag { get; }

    /// <summary>The symbols whose weights the fit sets, in parameter order.</summary>
    public IReadOnlyList<string> Free { get; }

    public bool FitsMap { get; }

    public double MapCeiling { get; }

    public double MapFloor { get; }

    public double[] Initial { get; }

    public double[] Lower { get; }

    public double[] Upper { get; }

    public int Count => _rows.Length;

    public MassCheckEntry Entry(int row) => _rows[row].Entry;

    /// <summary>
    /// Whether a fit may move a symbol's weight: not the classifier's (the map is), not a weight of 0 (the
    /// operator said it decides nothing), not a rule that forces an action (a decision, not evidence), not
    /// infrastructure trouble.
    /// </summary>
    private static bool IsFittable(string symbol, ScoringPolicy policy) =>
        ClassifierScoring.ProbabilityOf(symbol, 0) is null
        && policy.WeightOf(symbol) != 0
        && policy.Rules.Find(symbol)?.Action is null
        && policy.GroupOfSymbol(symbol) != "infrastructure";

    private Row ToRow(MassCheckEntry entry, ScoringPolicy policy, Dictionary<string, int> freeIndex, Func<string?, int> groupIndex)
    {
        var fixedScores = new Dictionary<int, double>();
        var terms = new List<Term>();
        double? probability = null;
        foreach (var (name, factor) in entry.Symbols)
        {
            var group = groupIndex(policy.GroupOfSymbol(name));
            if (FitsMap && ClassifierScoring.ProbabilityOf(name, factor) is { } p)
            {
                probability = p;
            }
            else if (freeIndex.TryGetValue(name, out var parameter))
            {
                terms.Add(new Term(parameter, group, factor));
            }
            else
            {
                fixedScores[group] = fixedScores.GetValueOrDefault(group) + (policy.WeightOf(name) * factor);
            }
        }

        // The forced actions alone, decided by the gateway's own order (reject, tempfail, quarantine, accept; a
        // forced tag lifts an accept): a message they decide is one the weights cannot move.
        var forced = PolicyVerdicts.ForcedOf(entry);
        var decision = forced.Count == 0 ? null : ScoreCalculator.Decide([], forced, policy);
        bool? decided = decision?.ForcedBy is null ? null : decision.Action switch
        {
            VerdictAction.Reject or VerdictAction.Quarantine => true,
            VerdictAction.TempFail or VerdictAction.Accept => false,
            _ => null,
        };
        return new Row(entry, [.. fixedScores.Select(pair => (pair.Key, pair.Value))], [.. terms], probability, decided, decision is { ForcedBy: not null, Action: VerdictAction.Tag });
    }

    /// <summary>The gateway's score of one message under <paramref name="theta"/> (rounded as the gateway rounds).</summary>
    public double Score(int row, double[] theta) => Math.Round(RawScore(_rows[row], theta, null), 2);

    /// <summary>Whether the message is flagged under <paramref name="theta"/>: forced actions first, as the gateway decides.</summary>
    public bool Flagged(int row, double[] theta)
    {
        var r = _rows[row];
        return r.Decided ?? (r.ForcedTag || Score(row, theta) >= Tag);
    }

    /// <summary>Whether the fit can change this message's verdict at all.</summary>
    public bool Movable(int row) => _rows[row] is { Decided: null, ForcedTag: false };

    /// <summary>The unrounded score (what the loss sees).</summary>
    public double Unrounded(int row, double[] theta) => RawScore(_rows[row], theta, null);

    /// <summary>Adds d(score)/d(theta) × <paramref name="scale"/> into <paramref name="gradient"/>.</summary>
    public void AddGradient(int row, double[] theta, double[] gradient, double scale) => RawScore(_rows[row], theta, (gradient, scale));

    private double RawScore(Row row, double[] theta, (double[] Gradient, double Scale)? into)
    {
        Span<double> sums = stackalloc double[_caps.Length];
        foreach (var (group, score) in row.Fixed)
        {
            sums[group] += score;
        }

        foreach (var term in row.Terms)
        {
            sums[term.Group] += theta[term.Parameter] * term.Factor;
        }

        var (knot, t) = (0, 0.0);
        if (row.Probability is { } p)
        {
            (knot, t) = ClassifierMap.Segment(MapKnots, p);
            sums[_classifierGroup] += Interpolated(theta, knot, t);
        }

        var total = 0.0;
        for (var g = 0; g < sums.Length; g++)
        {
            total += Math.Min(sums[g], _caps[g]);
        }

        if (into is { } target)
        {
            var (gradient, scale) = target;
            foreach (var term in row.Terms)
            {
                if (sums[term.Group] < _caps[term.Group])
                {
                    gradient[term.Parameter] += scale * term.Factor;
                }
            }

            if (row.Probability is not null && sums[_classifierGroup] < _caps[_classifierGroup])
            {
                gradient[Free.Count + knot] += scale * (1 - t);
                if (knot + 1 < MapKnots.Length)
                {
                    gradient[Free.Count + knot + 1] += scale * t;
                }
            }
        }

        return total;
    }

    private double Interpolated(double[] theta, int knot, double t) =>
        knot + 1 < MapKnots.Length ? ((1 - t) * theta[Free.Count + knot]) + (t * theta[Free.Count + knot + 1]) : theta[Free.Count + knot];


    /// <summary>
    /// Back inside the constraints: each weight within its bounds; the map never falling (pool adjacent
    /// violators), within floor and ceiling, 0 at p = 0.5, negative below it and positive above it.
    /// </summary>
    public void Project(double[] theta)
    {
        for (var i = 0; i < Free.Count; i++)
        {
            theta[i] = Math.Clamp(theta[i], Lower[i], Upper[i]);
        }

        if (!FitsMap)
        {
            return;
        }

        var map = theta.AsSpan(Free.Count, MapKnots.Length);
        PoolAdjacentViolators(map);
        for (var k = 0; k < map.Length; k++)
        {
            map[k] = k < HalfKnot ? Math.Clamp(map[k], MapFloor, 0) : k == HalfKnot ? 0 : Math.Clamp(map[k], 0, MapCeiling);
        }
    }

    /// <summary>The closest non-decreasing sequence (least squares), in place.</summary>
    private static void PoolAdjacentViolators(Span<double> values)
    {
        var means = new List<double>();
        var sizes = new List<int>();
        foreach (var value in values)
        {
            means.Add(value);
            sizes.Add(1);
            while (means.Count > 1 && means[^2] > means[^1])
            {
                var size = sizes[^2] + sizes[^1];
                var mean = ((means[^2] * sizes[^2]) + (means[^1] * sizes[^1])) / size;
                means.RemoveAt(means.Count - 1);
                sizes.RemoveAt(sizes.Count - 1);
                means[^1] = mean;
                sizes[^1] = size;
            }
        }

        var at = 0;
        for (var block = 0; block < means.Count; block++)
        {
            for (var i = 0; i < sizes[block]; i++)
            {
                values[at++] = means[block];
            }
        }
    }

    /// <summary>Positive evidence scaled by <paramref name="alpha"/> (weights above 0, the map above p = 0.5); the rest as it is.</summary>
    public double[] ScalePositive(double[] theta, double alpha) => [.. theta.Select(value => value > 0 ? value * alpha : value)];

    private readonly record struct Term(int Parameter, int Group, double Factor);

    private sealed record Row(MassCheckEntry Entry, (int Group, double Score)[] Fixed, Term[] Terms, double? Probability, bool? Decided, bool ForcedTag);
}
