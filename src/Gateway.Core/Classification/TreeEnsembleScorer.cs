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
    private readonly int _maxNodes;

    private TreeEnsembleScorer(double bias, double plattSlope, double plattOffset, Tree[] trees)
    {
        _bias = bias;
        _plattSlope = plattSlope;
        _plattOffset = plattOffset;
        _trees = trees;
        _maxNodes = trees.Length == 0 ? 0 : trees.Max(tree => tree.Left.Length);
    }

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

    /// <summary>The raw ensemble score (ML.NET's "Score"), optionally with one feature read as absent (0).</summary>
    public double Score(FeatureValues values, int absentFeature = -1)
    {
        var score = _bias;
        foreach (var tree in _trees)
        {
            score += tree.Weight * tree.LeafValues[tree.LeafOf(values, absentFeature)];
        }

        return score;
    }

    /// <summary>ML.NET's Platt calibration of a raw score.</summary>
    public double Probability(double score) => 1 / (1 + Math.Exp((_plattSlope * score) + _plattOffset));

    /// <summary>
    /// How much each feature of the message moved the raw score: per tree, the output with the feature's
    /// real value minus the output with the feature absent (0), summed over trees. Only features on the
    /// message's own path can count, and a feature changes the outcome only from the first node of that
    /// path where reading it as 0 would turn the other way: the walk without it starts there, not at the root.
    /// </summary>
    public Dictionary<int, double> Contributions(FeatureValues values)
    {
        var contributions = new Dictionary<int, double>();
        Span<int> path = _maxNodes <= 256 ? stackalloc int[_maxNodes] : new int[_maxNodes];
        Span<float> pathValues = _maxNodes <= 256 ? stackalloc float[_maxNodes] : new float[_maxNodes];
        foreach (var tree in _trees)
        {
            var depth = 0;
            var node = tree.Left.Length == 0 ? -1 : 0;
            while (node >= 0)
            {
                var value = values[tree.Features[node]];
                path[depth] = node;
                pathValues[depth++] = value;
                node = value <= tree.Thresholds[node] ? tree.Left[node] : tree.Right[node];
            }

            var leaf = ~node;
            for (var i = 0; i < depth; i++)
            {
                var feature = tree.Features[path[i]];
                if (pathValues[i] == 0 || FeatureSeenBefore(tree, path[..i], feature))
                {
                    continue;
                }

                var without = tree.LeafWithout(feature, pathValues[i], path[i..depth], leaf, values);
                if (without != leaf)
                {
                    contributions[feature] = contributions.GetValueOrDefault(feature) + (tree.Weight * (tree.LeafValues[leaf] - tree.LeafValues[without]));
                }
            }
        }

        return contributions;
    }

    private static bool FeatureSeenBefore(Tree tree, ReadOnlySpan<int> path, int feature)
    {
        foreach (var node in path)
        {
            if (tree.Features[node] == feature)
            {
                return true;
            }
        }

        return false;
    }

    private sealed record Tree(double Weight, int[] Features, float[] Thresholds, int[] Left, int[] Right, double[] LeafValues)
    {
        /// <summary>The leaf the message reaches, reading <paramref name="absentFeature"/> as 0.</summary>
        public int LeafOf(FeatureValues values, int absentFeature) => Left.Length == 0 ? 0 : Descend(0, values, absentFeature);

        /// <summary>
        /// The leaf the message would reach with <paramref name="feature"/> (of <paramref name="value"/>)
        /// absent, given its real path from the feature's first node on it and the leaf that path ends in.
        /// </summary>
        public int LeafWithout(int feature, float value, ReadOnlySpan<int> pathFromFeature, int leaf, FeatureValues values)
        {
            foreach (var node in pathFromFeature)
            {
                var threshold = Thresholds[node];
                if (Features[node] == feature && (value <= threshold) != (0 <= threshold))
                {
                    return Descend(0 <= threshold ? Left[node] : Right[node], values, feature);
                }
            }

            return leaf;
        }

        /// <summary>Walks down from <paramref name="node"/> (a negative node is a leaf) to its leaf, reading <paramref name="overriddenFeature"/> as 0 (absent).</summary>
        private int Descend(int node, FeatureValues values, int overriddenFeature)
        {
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
