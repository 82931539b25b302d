using Microsoft.ML.Calibrators;
using Microsoft.ML.Trainers.FastTree;

namespace Gateway.Core.Classification;

/// <summary>One message's feature values, looked up by slot: hashed text slots, then the numerics.</summary>
public readonly ref struct FeatureValues(HashedTextFeatures text, ReadOnlySpan<float> numerics)
{
    private readonly ReadOnlySpan<float> _numerics = numerics;

    public HashedTextFeatures Text { get; } = text;

    public float this[int slot] => slot < HashedTextFeatures.SlotCount ? Text.Value(slot) : _numerics[slot - HashedTextFeatures.SlotCount];
}

/// <summary>
/// A FastTree ensemble trained by ML.NET, copied into flat arrays and evaluated directly: a message is a
/// few thousand hashed n-gram counts plus eight numbers, and each tree reads only the handful of slots on
/// its path, so there is no vector to build. Scoring through ML.NET (its text transform, then the model
/// over the whole feature vector) was most of the gateway's CPU (bench/RESULTS.md). Same rule as ML.NET's
/// (RegressionTree: value &lt;= threshold goes left, an absent feature is 0) and the same Platt
/// calibration, checked against ML.NET's own output by a test.
/// </summary>
public sealed class TreeEnsembleScorer
{
    private readonly double _bias;
    private readonly double _plattSlope;
    private readonly double _plattOffset;
    private readonly Tree[] _trees;

    private TreeEnsembleScorer(double bias, double plattSlope, double plattOffset, Tree[] trees)
    {
        _bias = bias;
        _plattSlope = plattSlope;
        _plattOffset = plattOffset;
        _trees = trees;
    }

    public int TreeCount => _trees.Length;

    /// <summary>Copies a calibrated FastTree model; null when the model is another kind.</summary>
    public static TreeEnsembleScorer? From(object model)
    {
        if (model is not CalibratedModelParametersBase<FastTreeBinaryModelParameters, PlattCalibrator> calibrated)
        {
            return null;
        }

        var ensemble = calibrated.SubModel.TrainedTreeEnsemble;
        var trees = new Tree[ensemble.Trees.Count];
        for (var t = 0; t < trees.Length; t++)
        {
            var tree = ensemble.Trees[t];
            if (tree.CategoricalSplitFlags.Any(flag => flag))
            {
                return null;   // FastTree makes categorical splits only when asked to; our trainer never does.
            }

            trees[t] = new Tree(
                ensemble.TreeWeights[t],
                [.. tree.NumericalSplitFeatureIndexes],
                [.. tree.NumericalSplitThresholds],
                [.. tree.LeftChild],
                [.. tree.RightChild],
                [.. tree.LeafValues]);
        }

        return new TreeEnsembleScorer(ensemble.Bias, calibrated.Calibrator.Slope, calibrated.Calibrator.Offset, trees);
    }

    /// <summary>The raw ensemble score (ML.NET's "Score").</summary>
    public double Score(FeatureValues values)
    {
        var score = _bias;
        foreach (var tree in _trees)
        {
            score += tree.Weight * tree.LeafValues[tree.LeafOf(values, overriddenFeature: -1)];
        }

        return score;
    }

    /// <summary>ML.NET's Platt calibration of a raw score.</summary>
    public double Probability(double score) => 1 / (1 + Math.Exp((_plattSlope * score) + _plattOffset));

    /// <summary>
    /// How much each feature of the message moved the raw score: per tree, the output with the feature's
    /// real value minus the output with the feature absent (0), summed over trees. Only features on the
    /// message's own paths can count, so this costs a few tree walks per tree, not one per slot.
    /// </summary>
    public Dictionary<int, double> Contributions(FeatureValues values)
    {
        var contributions = new Dictionary<int, double>();
        Span<int> seen = stackalloc int[64];
        foreach (var tree in _trees)
        {
            var leaf = tree.LeafOf(values, overriddenFeature: -1);
            var seenCount = 0;
            var node = tree.Left.Length == 0 ? -1 : 0;
            while (node >= 0)
            {
                var feature = tree.Features[node];
                var value = values[feature];
                if (value != 0 && seenCount < seen.Length && !seen[..seenCount].Contains(feature))
                {
                    seen[seenCount++] = feature;
                    var without = tree.LeafOf(values, overriddenFeature: feature);
                    if (without != leaf)
                    {
                        contributions[feature] = contributions.GetValueOrDefault(feature) + (tree.Weight * (tree.LeafValues[leaf] - tree.LeafValues[without]));
                    }
                }

                node = value <= tree.Thresholds[node] ? tree.Left[node] : tree.Right[node];
            }
        }

        return contributions;
    }

    private sealed record Tree(double Weight, int[] Features, float[] Thresholds, int[] Left, int[] Right, double[] LeafValues)
    {
        /// <summary>The leaf the message reaches; <paramref name="overriddenFeature"/> is read as 0 (absent).</summary>
        public int LeafOf(FeatureValues values, int overriddenFeature)
        {
            if (Left.Length == 0)
            {
                return 0;
            }

            var node = 0;
            while (node >= 0)
            {
                var feature = Features[node];
                var value = feature == overriddenFeature ? 0f : values[feature];
                node = value <= Thresholds[node] ? Left[node] : Right[node];
            }

            return ~node;
        }
    }
}
