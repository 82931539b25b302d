using System.Globalization;
using Gateway.Core.Scoring;

namespace Gateway.Core.Fitting;

/// <summary>How a fit runs; the defaults serve a corpus of a few hundred to tens of thousands of messages.</summary>
/// <param name="MinHits">A symbol seen on fewer messages keeps its weight (DNS lists and authentication offline, rare rules).</param>
/// <param name="Temperature">Points over which the loss turns from "wrong side" to "safe": a message far from the threshold stops mattering.</param>
public sealed record FitOptions(int MinHits = 5, int Rounds = 8, int Iterations = 300, double Regularisation = 0.002, double Temperature = 1.0, double LearningRate = 0.05);

/// <summary>A ham source the fit could not bring within its budget: what the fixed evidence alone flags.</summary>
public sealed record BudgetShortfall(string Source, int Messages, int Flagged, int Allowed);

/// <summary>The fitted weights, and the ham sources whose budgets cannot be met (empty when all are).</summary>
/// <param name="Scale">The share of the fitted positive evidence kept to meet the budgets (1: none given up).</param>
public sealed record FitOutcome(WeightsFile Weights, IReadOnlyList<BudgetShortfall> Unmeetable, double Scale);

/// <summary>
/// SpamAssassin's perceptron over mass-check results, as constrained logistic regression: the symbol weights
/// and the classifier map are fitted so that, at the tag threshold, spam is caught and every ham source stays
/// within its budget. The loss is logistic in (score − tag), per message weighted so each ham source counts
/// as a whole; a source over its budget on the fitted mail weighs more in the next round. Weights keep their
/// sign and stay within twice the hand-set value; group caps (symbols.yaml) are not touched, so the
/// classifier and content rules alone still never reach reject. What remains over budget after the rounds is
/// settled exactly: positive evidence is scaled down until every budget holds, or, when even none of it
/// leaves a source over its budget (forced actions, fixed weights), the source is reported as unmeetable.
/// </summary>
public static class WeightFitter
{
    public static FitOutcome Fit(IReadOnlyList<MassCheckEntry> entries, ScoringPolicy policy, IReadOnlyList<LabelledSource> sources, FitOptions options)
    {
        var problem = new FitProblem(entries, policy, options.MinHits);
        var budgets = sources.Where(source => !source.IsSpam).ToDictionary(source => source.Name, StringComparer.Ordinal);
        var hamCounts = entries.Where(entry => !entry.IsSpam)
            .GroupBy(entry => entry.Source, StringComparer.Ordinal).ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);
        var spamCount = Math.Max(1, entries.Count(entry => entry.IsSpam));
        var emphasis = hamCounts.Keys.ToDictionary(source => source, _ => 1.0, StringComparer.Ordinal);

        var theta = (double[])problem.Initial.Clone();
        for (var round = 0; round < options.Rounds; round++)
        {
            Descend(problem, theta, emphasis, hamCounts, spamCount, options);
            var over = OverBudget(problem, theta, budgets, hamCounts);
            if (over.Count == 0)
            {
                break;
            }

            foreach (var source in over)
            {
                emphasis[source] *= 4;
            }
        }

        // Settle the budgets exactly with the gateway's own scoring (rounded weights, ScoreCalculator).
        var (alpha, weights) = (1.0, ToWeightsFile(problem, theta));
        if (Shortfalls(entries, policy.WithFitted(weights), budgets).Count > 0)
        {
            var floor = ToWeightsFile(problem, problem.ScalePositive(theta, 0));
            var unmeetable = Shortfalls(entries, policy.WithFitted(floor), budgets);
            if (unmeetable.Count > 0)
            {
                return new FitOutcome(floor, unmeetable, 0);
            }

            var (low, high) = (0.0, 1.0);
            for (var step = 0; step < 16; step++)
            {
                var middle = (low + high) / 2;
                var candidate = ToWeightsFile(problem, problem.ScalePositive(theta, middle));
                (low, high) = Shortfalls(entries, policy.WithFitted(candidate), budgets).Count == 0 ? (middle, high) : (low, middle);
            }

            (alpha, weights) = (low, ToWeightsFile(problem, problem.ScalePositive(theta, low)));
        }

        return new FitOutcome(weights, [], alpha);
    }

    /// <summary>Full-batch projected Adam on the weighted logistic loss, pulled gently towards the hand-set weights.</summary>
    private static void Descend(FitProblem problem, double[] theta, Dictionary<string, double> emphasis, Dictionary<string, int> hamCounts, int spamCount, FitOptions options)
    {
        var (m, v) = (new double[theta.Length], new double[theta.Length]);
        const double Beta1 = 0.9, Beta2 = 0.999, Epsilon = 1e-8;
        for (var iteration = 1; iteration <= options.Iterations; iteration++)
        {
            var gradient = new double[theta.Length];
            for (var row = 0; row < problem.Count; row++)
            {
                if (!problem.Movable(row))
                {
                    continue;
                }

                var entry = problem.Entry(row);
                var weight = entry.IsSpam ? 1.0 / spamCount : emphasis[entry.Source] / hamCounts[entry.Source];
                var sign = entry.IsSpam ? 1.0 : -1.0;
                // d/dθ softplus(−sign·(score − tag)/T) = −sign·σ(−margin)/T · d(score)/dθ
                var margin = sign * (problem.Unrounded(row, theta) - problem.Tag) / options.Temperature;
                problem.AddGradient(row, theta, gradient, -sign * weight * Sigmoid(-margin) / options.Temperature);
            }

            for (var i = 0; i < theta.Length; i++)
            {
                gradient[i] += 2 * options.Regularisation * (theta[i] - problem.Initial[i]);
                m[i] = (Beta1 * m[i]) + ((1 - Beta1) * gradient[i]);
                v[i] = (Beta2 * v[i]) + ((1 - Beta2) * gradient[i] * gradient[i]);
                var corrected = m[i] / (1 - Math.Pow(Beta1, iteration));
                var scale = v[i] / (1 - Math.Pow(Beta2, iteration));
                theta[i] -= options.LearningRate * corrected / (Math.Sqrt(scale) + Epsilon);
            }

            problem.Project(theta);
        }
    }

    private static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    private static List<string> OverBudget(FitProblem problem, double[] theta, Dictionary<string, LabelledSource> budgets, Dictionary<string, int> hamCounts)
    {
        var flagged = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var row = 0; row < problem.Count; row++)
        {
            var entry = problem.Entry(row);
            if (!entry.IsSpam && problem.Flagged(row, theta))
            {
                flagged[entry.Source] = flagged.GetValueOrDefault(entry.Source) + 1;
            }
        }

        return [.. flagged.Where(pair => budgets.TryGetValue(pair.Key, out var source) && pair.Value > source.Allowed(hamCounts[pair.Key])).Select(pair => pair.Key)];
    }

    /// <summary>Ham sources over budget under a policy, judged as the gateway judges.</summary>
    public static IReadOnlyList<BudgetShortfall> Shortfalls(IReadOnlyList<MassCheckEntry> entries, ScoringPolicy policy, IReadOnlyDictionary<string, LabelledSource> budgets) =>
        [.. PolicyVerdicts.Count(entries.Where(entry => !entry.IsSpam), policy)
            .Where(pair => budgets.TryGetValue(pair.Key, out var source) && pair.Value.Flagged > source.Allowed(pair.Value.Messages))
            .Select(pair => new BudgetShortfall(pair.Key, pair.Value.Messages, pair.Value.Flagged, budgets[pair.Key].Allowed(pair.Value.Messages)))];

    private static WeightsFile ToWeightsFile(FitProblem problem, double[] theta)
    {
        var file = new WeightsFile();
        for (var i = 0; i < problem.Free.Count; i++)
        {
            file.Weights[problem.Free[i]] = Math.Round(theta[i], 3);
        }

        if (problem.FitsMap)
        {
            for (var k = 0; k < FitProblem.MapKnots.Length; k++)
            {
                file.ClassifierMap.Add(new ClassifierMapPoint { P = FitProblem.MapKnots[k], Score = Math.Round(theta[problem.Free.Count + k], 3) });
            }
        }

        return file;
    }

    internal static string Format(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);
}
