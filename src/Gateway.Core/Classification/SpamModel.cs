using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Gateway.Core.Classification;

/// <summary>
/// A loaded spam model: the ML.NET file `gateway train` writes (a calibrated FastTree over
/// <see cref="FeatureLayout"/>), copied into a <see cref="TreeEnsembleScorer"/> at load, after which
/// ML.NET's objects are let go. Scoring is thread-safe and lock-free: each call rents the scratch space
/// of the text featuriser from a pool.
/// </summary>
public sealed class SpamModel
{
    private readonly TreeEnsembleScorer _scorer;
    private readonly ConcurrentBag<HashedTextFeatures> _scratch = [];

    internal SpamModel(TreeEnsembleScorer scorer) => _scorer = scorer;

    /// <summary>
    /// Loads a model file. A file that is not a model of this gateway's layout (e.g. one trained by an
    /// older version, whose text features were ML.NET's dictionary) is an <see cref="InvalidDataException"/>
    /// saying to retrain, which <see cref="ModelSource"/> reports while it keeps the model it has.
    /// </summary>
    public static SpamModel Load(string path)
    {
        using var stream = File.OpenRead(path);
        var model = new MLContext().Model.Load(stream, out var schema);
        return new SpamModel(ScorerOf(model, schema) ?? throw new InvalidDataException(
            $"{path} is not a spam model of this gateway version (a calibrated FastTree over {FeatureLayout.Length} features): retrain it with `gateway train`"));
    }

    /// <summary>What <see cref="Load"/> throws for a file it cannot use (missing, unreadable, not a model, not ours).</summary>
    public static bool IsUnreadable(Exception exception) =>
        exception is IOException or InvalidOperationException or FormatException or ArgumentException or InvalidDataException or UnauthorizedAccessException;

    /// <summary>The scorer inside a trained (or loaded) ML.NET transformer, or null if it is not one of ours.</summary>
    internal static TreeEnsembleScorer? ScorerOf(ITransformer model, DataViewSchema inputSchema)
    {
        if (inputSchema.GetColumnOrNull("Features") is not { Type: VectorDataViewType { Size: FeatureLayout.Length } })
        {
            return null;
        }

        var last = model is TransformerChain<ITransformer> chain ? chain.LastTransformer : model;
        return last is ISingleFeaturePredictionTransformer<object> predictor ? TreeEnsembleScorer.From(predictor.Model) : null;
    }

    /// <summary>The probability, and the explanation when <paramref name="explain"/> says so for that probability.</summary>
    public ClassifierResult Predict(MessageFeatures features, Func<double, bool> explain)
    {
        if (!_scratch.TryTake(out var text))
        {
            text = new HashedTextFeatures();
        }

        try
        {
            text.Load(features.Text);
            Span<float> numerics = stackalloc float[FeatureLayout.NumericCount];
            features.Numerics(numerics);
            var values = new FeatureValues(text, numerics);
            var probability = _scorer.Probability(_scorer.Score(values));
            return new ClassifierResult(probability, explain(probability) ? TopFeatures(values) : []);
        }
        finally
        {
            _scratch.Add(text);
        }
    }

    /// <summary>The probability with the features that pushed it most either way.</summary>
    public ClassifierResult Predict(MessageFeatures features) => Predict(features, _ => true);

    private List<FeatureContribution> TopFeatures(FeatureValues values)
    {
        var top = _scorer.Contributions(values).OrderByDescending(item => Math.Abs(item.Value)).ThenBy(item => item.Key).Take(8).ToList();
        var names = values.Text.Describe(top.Select(item => item.Key).Where(slot => slot < HashedTextFeatures.SlotCount));
        return [.. top.Select(item => new FeatureContribution(
            item.Key >= HashedTextFeatures.SlotCount ? MessageFeatures.NumericNames[item.Key - HashedTextFeatures.SlotCount] : names.GetValueOrDefault(item.Key) ?? $"slot {item.Key}",
            item.Value))];
    }
}
