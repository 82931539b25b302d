using Microsoft.ML.Data;

namespace Gateway.Core.Classification;

/// <summary>
/// Where each feature sits in the classifier's vector: the hashed text slots first
/// (<see cref="HashedTextFeatures"/>), then the numeric features of <see cref="MessageFeatures"/> as they
/// are (trees split on raw values, so nothing is rescaled).
/// </summary>
public static class FeatureLayout
{
    public const int NumericCount = 6;
    public const int Length = HashedTextFeatures.SlotCount + NumericCount;

    public static int NumericSlot(int numeric) => HashedTextFeatures.SlotCount + numeric;
}

/// <summary>The ML.NET row for training: one message's feature vector (sparse) and its label.</summary>
public sealed class ClassifierRow
{
    public bool Label { get; set; }

    [VectorType(FeatureLayout.Length)]
    public VBuffer<float> Features { get; set; }

    /// <summary>How much the example counts in training (sources with few messages count more; see SpamModelTrainer).</summary>
    public float Weight { get; set; } = 1f;

    public static ClassifierRow From(MessageFeatures features, bool label, HashedTextFeatures scratch)
    {
        scratch.Load(features.Text);
        var (indices, values) = scratch.ToSparse();
        Span<float> numerics = stackalloc float[FeatureLayout.NumericCount];
        features.Numerics(numerics);

        var allIndices = new int[indices.Length + FeatureLayout.NumericCount];
        var allValues = new float[allIndices.Length];
        indices.CopyTo(allIndices, 0);
        values.CopyTo(allValues, 0);
        var count = indices.Length;

        for (var i = 0; i < FeatureLayout.NumericCount; i++)
        {
            allIndices[count] = FeatureLayout.NumericSlot(i);
            allValues[count++] = numerics[i];
        }

        return new ClassifierRow { Label = label, Features = new VBuffer<float>(FeatureLayout.Length, count, allValues, allIndices) };
    }
}

/// <summary>What ML.NET's own scoring answers (used in training's evaluation and to check our scorer against it).</summary>
public sealed class ClassifierOutput
{
    public float Probability { get; set; }

    public float Score { get; set; }
}
