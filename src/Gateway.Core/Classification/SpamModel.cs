using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Gateway.Core.Classification;

/// <summary>
/// A loaded spam model. Scoring is thread-safe and lock-free: each call rents a prediction engine from a
/// pool (ML.NET's PredictionEngine is not thread-safe, and one per call would be slow).
/// </summary>
public sealed class SpamModel
{
    private readonly MLContext _ml = new();
    private readonly ITransformer _model;
    private readonly ConcurrentBag<PredictionEngine<ClassifierInput, ClassifierOutput>> _engines = [];
    private readonly string[] _slotNames;

    private SpamModel(ITransformer model, DataViewSchema inputSchema)
    {
        _model = model;

        var features = model.GetOutputSchema(inputSchema)["Features"];
        VBuffer<ReadOnlyMemory<char>> names = default;
        features.GetSlotNames(ref names);
        _slotNames = [.. names.DenseValues().Select(name => CleanSlotName(name.ToString()))];
    }

    public static SpamModel Load(string path)
    {
        var ml = new MLContext();
        using var stream = File.OpenRead(path);
        var model = ml.Model.Load(stream, out var schema);
        return new SpamModel(model, schema);
    }

    /// <summary>
    /// The probability, and the explanation when <paramref name="explain"/> says so for that probability.
    /// One pass through the whole chain: the contributions cost little next to the text featurisation,
    /// which a second pass for the explanation would repeat (bench/RESULTS.md).
    /// </summary>
    public ClassifierResult Predict(MessageFeatures features, Func<double, bool> explain)
    {
        var result = Predict(features);
        return explain(result.SpamProbability) ? result : new ClassifierResult(result.SpamProbability, []);
    }

    /// <summary>The probability with the features that pushed it most either way.</summary>
    public ClassifierResult Predict(MessageFeatures features)
    {
        if (!_engines.TryTake(out var engine))
        {
            engine = _ml.Model.CreatePredictionEngine<ClassifierInput, ClassifierOutput>(_model);
        }

        try
        {
            var output = engine.Predict(ClassifierInput.From(features));
            var contributions = output.FeatureContributions;
            var top = contributions.Items(all: false)
                .Select(item => (weight: item.Value, index: item.Key))
                .Where(item => item.weight != 0)
                .OrderByDescending(item => Math.Abs(item.weight))
                .Take(8)
                .Select(item => new FeatureContribution(item.index < _slotNames.Length ? _slotNames[item.index] : $"feature {item.index}", item.weight))
                .ToList();
            return new ClassifierResult(output.Probability, top);
        }
        finally
        {
            _engines.Add(engine);
        }
    }

    /// <summary>ML.NET slot names made readable: "Word.free|money" → "free money", "Char.f|r|<␠>" → "chars 'fr '".</summary>
    private static string CleanSlotName(string name)
    {
        var slot = name;
        foreach (var prefix in new[] { "TextFeatures.", "Numeric." })
        {
            if (slot.StartsWith(prefix, StringComparison.Ordinal))
            {
                slot = slot[prefix.Length..];
            }
        }

        if (slot.StartsWith("Word.", StringComparison.Ordinal))
        {
            return slot[5..].Replace('|', ' ');
        }

        if (slot.StartsWith("Char.", StringComparison.Ordinal))
        {
            var chars = slot[5..].Replace("|", string.Empty, StringComparison.Ordinal)
                .Replace("<␠>", " ", StringComparison.Ordinal).Replace("<␂>", "^", StringComparison.Ordinal)
                .Replace("<␃>", "$", StringComparison.Ordinal).Replace("<␊>", "\\n", StringComparison.Ordinal);
            return $"chars '{chars}'";
        }

        return slot;
    }
}
