using Gateway.Core.Classification;

namespace Gateway.Core.Learning;

/// <summary>The current model and a new one, measured on the same hold-out.</summary>
public sealed record ModelComparison(double CurrentAuc, double NewAuc, double CurrentFalsePositiveRate, double NewFalsePositiveRate)
{
    /// <summary>Worse: a lower AUC, or more ham flagged at the tag threshold (beyond rounding).</summary>
    public bool NewIsWorse => NewAuc < CurrentAuc - 0.0005 || NewFalsePositiveRate > CurrentFalsePositiveRate + 0.0005;
}

/// <summary>
/// What stands between a training run and the model that scores live mail: enough examples of each
/// class, a new model no worse than the current one on the new run's own hold-out (so user labels can
/// only improve it), and the replaced model kept for rollback.
/// </summary>
public static class ModelGuard
{
    public static ModelComparison Compare(SpamModel current, TrainingReport candidate, double tagThreshold)
    {
        var predictions = candidate.HoldOut.Select(example => (example.IsSpam, current.Predict(example.Features, _ => false).SpamProbability)).ToList();
        return new ModelComparison(
            ClassifierMetrics.Auc(predictions),
            candidate.Chosen.Auc,
            ClassifierMetrics.At(predictions, tagThreshold).FalsePositiveRate,
            candidate.Chosen.AtTag.FalsePositiveRate);
    }

    /// <summary>Copies the model about to be replaced to models/previous/NAME-UTCSTAMP.zip; the path, or null if there was none.</summary>
    public static string? KeepPrevious(string modelPath, DateTimeOffset now)
    {
        if (!File.Exists(modelPath))
        {
            return null;
        }

        var folder = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, "previous");
        Directory.CreateDirectory(folder);
        var kept = Path.Combine(folder, $"{Path.GetFileNameWithoutExtension(modelPath)}-{now:yyyyMMdd'T'HHmmss'Z'}.zip");
        File.Copy(modelPath, kept, overwrite: true);
        return kept;
    }
}
