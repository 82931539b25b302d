using Gateway.Core.Classification;

namespace Gateway.Core.Tests.Classification;

public sealed class ClassifierMetricsTests
{
    [Fact]
    public void Auc_is_the_share_of_spam_ham_pairs_ranked_right_with_ties_counting_half()
    {
        (bool, double)[] predictions = [(true, 0.9), (true, 0.4), (false, 0.4), (false, 0.1)];

        // Pairs: (0.9 vs 0.4) right, (0.9 vs 0.1) right, (0.4 vs 0.4) tie = 0.5, (0.4 vs 0.1) right: 3.5 / 4.
        Assert.Equal(0.875, ClassifierMetrics.Auc(predictions), 10);
        Assert.Equal(1.0, ClassifierMetrics.Auc([(true, 0.8), (false, 0.2)]), 10);
        Assert.Equal(0.0, ClassifierMetrics.Auc([(true, 0.2), (false, 0.8)]), 10);
    }

    [Fact]
    public void Confusion_counts_and_rates_follow_from_the_threshold()
    {
        (bool, double)[] predictions = [(true, 0.95), (true, 0.8), (true, 0.3), (false, 0.9), (false, 0.2), (false, 0.1), (false, 0.05)];

        var metrics = ClassifierMetrics.At(predictions, 0.5);

        Assert.Equal((2, 1, 3, 1), (metrics.TruePositives, metrics.FalsePositives, metrics.TrueNegatives, metrics.FalseNegatives));
        Assert.Equal(2.0 / 3, metrics.Precision, 10);
        Assert.Equal(2.0 / 3, metrics.Recall, 10);
        Assert.Equal(2.0 / 3, metrics.F1, 10);
        Assert.Equal(0.25, metrics.FalsePositiveRate, 10);
    }

    [Theory]
    [InlineData(0.5, "ML_SPAM", 0.0)]
    [InlineData(0.875, "ML_SPAM", 0.75)]
    [InlineData(1.0, "ML_SPAM", 1.0)]
    [InlineData(0.1, "ML_HAM", 0.8)]
    public void Probabilities_map_to_symbols_and_factors(double probability, string symbol, double factor)
    {
        var (name, value) = ClassifierScoring.ToSymbol(probability);

        Assert.Equal(symbol, name);
        Assert.Equal(factor, value, 10);
    }
}
