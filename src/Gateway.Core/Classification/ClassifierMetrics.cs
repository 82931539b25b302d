using System.Globalization;

namespace Gateway.Core.Classification;

/// <summary>Confusion counts at one probability threshold, and what follows from them.</summary>
public sealed record ThresholdMetrics(double Threshold, int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives)
{
    public double Precision => TruePositives + FalsePositives == 0 ? 0 : (double)TruePositives / (TruePositives + FalsePositives);

    /// <summary>Spam recall: the share of spam caught.</summary>
    public double Recall => TruePositives + FalseNegatives == 0 ? 0 : (double)TruePositives / (TruePositives + FalseNegatives);

    public double F1 => Precision + Recall == 0 ? 0 : 2 * Precision * Recall / (Precision + Recall);

    /// <summary>The share of ham wrongly called spam.</summary>
    public double FalsePositiveRate => FalsePositives + TrueNegatives == 0 ? 0 : (double)FalsePositives / (FalsePositives + TrueNegatives);
}

/// <summary>Evaluation of spam probabilities against labels: AUC plus per-threshold confusion metrics.</summary>
public static class ClassifierMetrics
{
    /// <summary>ROC AUC as the Mann-Whitney statistic: the chance a random spam scores above a random ham (ties count half).</summary>
    public static double Auc(IReadOnlyList<(bool IsSpam, double Probability)> predictions)
    {
        var ranked = predictions.OrderBy(prediction => prediction.Probability).ToList();
        var positives = ranked.Count(prediction => prediction.IsSpam);
        var negatives = ranked.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        // Average ranks over ties, then U = sum of positive ranks - P(P+1)/2.
        double positiveRankSum = 0;
        for (var i = 0; i < ranked.Count;)
        {
            var j = i;
            var positivesInTie = 0;
            while (j < ranked.Count && ranked[j].Probability == ranked[i].Probability)
            {
                positivesInTie += ranked[j].IsSpam ? 1 : 0;
                j++;
            }

            positiveRankSum += (i + 1 + j) / 2.0 * positivesInTie;
            i = j;
        }

        return (positiveRankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }

    public static ThresholdMetrics At(IReadOnlyList<(bool IsSpam, double Probability)> predictions, double threshold)
    {
        int tp = 0, fp = 0, tn = 0, fn = 0;
        foreach (var (isSpam, probability) in predictions)
        {
            var flagged = probability >= threshold;
            (tp, fp, tn, fn) = (isSpam, flagged) switch
            {
                (true, true) => (tp + 1, fp, tn, fn),
                (false, true) => (tp, fp + 1, tn, fn),
                (false, false) => (tp, fp, tn + 1, fn),
                (true, false) => (tp, fp, tn, fn + 1),
            };
        }

        return new ThresholdMetrics(threshold, tp, fp, tn, fn);
    }

    public static string Format(ThresholdMetrics metrics) => string.Create(CultureInfo.InvariantCulture,
        $"p>={metrics.Threshold:0.###}: precision {metrics.Precision:P2}, recall {metrics.Recall:P2}, F1 {metrics.F1:0.0000}, ham false positives {metrics.FalsePositiveRate:P2} ({metrics.FalsePositives}); confusion TP={metrics.TruePositives} FP={metrics.FalsePositives} TN={metrics.TrueNegatives} FN={metrics.FalseNegatives}");
}
