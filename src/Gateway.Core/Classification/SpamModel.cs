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

    public ClassifierResult Predict(MessageFeatures features)
    {
        if (!_engines.TryTake(out var engine))
        {
            engine = _ml.Model.CreatePredictionEngine<ClassifierInput, ClassifierOutput>(_model);
        }

        try
        {
            var output = engine.Predict(ClassifierInput.From(features));
            var top = output.FeatureContributions
                .Select((weight, index) => (weight, index))
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

    /// <summary>"TextFeatures.w:free|money" → "free money"; numeric slots keep their names.</summary>
    private static string CleanSlotName(string name)
    {
        var dot = name.IndexOf('.');
        var slot = dot < 0 ? name : name[(dot + 1)..];
        return slot.StartsWith("w:", StringComparison.Ordinal) ? slot[2..].Replace('|', ' ')
            : slot.StartsWith("t:", StringComparison.Ordinal) ? $"chars '{slot[2..].Replace("<␂>", "^", StringComparison.Ordinal).Replace("<␃>", "$", StringComparison.Ordinal)}'"
            : slot;
    }
}
