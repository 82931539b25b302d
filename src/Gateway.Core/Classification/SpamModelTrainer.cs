using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Transforms.Text;

namespace Gateway.Core.Classification;

/// <summary>The measured quality of one trainer on the hold-out split.</summary>
public sealed record CandidateReport(string Trainer, double Auc, ThresholdMetrics AtHalf, ThresholdMetrics AtTag, TimeSpan TrainingTime);

/// <summary>What training produced: the chosen model, every candidate's figures, and the split sizes.</summary>
public sealed record TrainingReport(ITransformer Model, DataViewSchema InputSchema, CandidateReport Chosen, IReadOnlyList<CandidateReport> Candidates, int TrainHam, int TrainSpam, IReadOnlyList<TrainingExample> HoldOut)
{
    public int HoldOutHam => HoldOut.Count(example => !example.IsSpam);

    public int HoldOutSpam => HoldOut.Count(example => example.IsSpam);
}

/// <summary>
/// Trains the spam model: ML.NET text featurization (word 1-2-grams, character 3-grams) plus the numeric
/// features, a linear (SDCA logistic regression) and a tree trainer (FastTree), both calibrated; the one
/// with the better hold-out AUC is kept. The split is stratified and deterministic (by a hash of each
/// message's path) and the seed fixed, so the same data gives the same model.
/// </summary>
public sealed class SpamModelTrainer
{
    public const double HoldOutFraction = 0.2;
    private const int Seed = 20261128;

    private readonly MLContext _ml = new(seed: Seed);

    public TrainingReport Train(IReadOnlyList<TrainingExample> examples, Action<string>? progress = null)
    {
        var (train, holdOut) = Split(examples);
        var trainData = _ml.Data.LoadFromEnumerable(train.Select(example => ClassifierInput.From(example.Features, example.IsSpam)));
        var holdOutData = _ml.Data.LoadFromEnumerable(holdOut.Select(example => ClassifierInput.From(example.Features, example.IsSpam)));

        progress?.Invoke($"featurizing {train.Count} training messages");
        var featurizer = FeaturePipeline().Fit(trainData);
        var featurized = featurizer.Transform(trainData);

        var candidates = new List<(CandidateReport Report, ITransformer Model)>
        {
            Fit("sdca-logistic-regression", featurizer, featurized, holdOutData, _ml.BinaryClassification.Trainers.SdcaLogisticRegression(
                new SdcaLogisticRegressionBinaryTrainer.Options { LabelColumnName = "Label", FeatureColumnName = "Features", NumberOfThreads = 1, MaximumNumberOfIterations = 100 }), progress),
            Fit("fasttree", featurizer, featurized, holdOutData, _ml.BinaryClassification.Trainers.FastTree(
                new FastTreeBinaryTrainer.Options { LabelColumnName = "Label", FeatureColumnName = "Features", NumberOfLeaves = 20, NumberOfTrees = 200, MinimumExampleCountPerLeaf = 5, LearningRate = 0.1, NumberOfThreads = 1 }), progress),
        };

        var best = candidates.OrderByDescending(candidate => candidate.Report.Auc).ThenBy(candidate => candidate.Report.AtTag.FalsePositiveRate).First();
        return new TrainingReport(best.Model, trainData.Schema, best.Report, [.. candidates.Select(candidate => candidate.Report)],
            train.Count(example => !example.IsSpam), train.Count(example => example.IsSpam), holdOut);
    }

    public void Save(TrainingReport report, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        _ml.Model.Save(report.Model, report.InputSchema, temporary);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Per class, messages ordered by a hash of their source; the first fifth is held out.</summary>
    public static (List<TrainingExample> Train, List<TrainingExample> HoldOut) Split(IReadOnlyList<TrainingExample> examples)
    {
        var train = new List<TrainingExample>();
        var holdOut = new List<TrainingExample>();
        foreach (var group in examples.GroupBy(example => example.IsSpam))
        {
            var ordered = group.OrderBy(example => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(example.Source))), StringComparer.Ordinal).ToList();
            var holdOutCount = (int)Math.Round(ordered.Count * HoldOutFraction);
            holdOut.AddRange(ordered.Take(holdOutCount));
            train.AddRange(ordered.Skip(holdOutCount));
        }

        return (train, holdOut);
    }

    private IEstimator<ITransformer> FeaturePipeline()
    {
        var text = new TextFeaturizingEstimator.Options
        {
            CaseMode = TextNormalizingEstimator.CaseMode.Lower,
            KeepDiacritics = false,
            KeepPunctuations = false,
            KeepNumbers = true,
            WordFeatureExtractor = new WordBagEstimator.Options { NgramLength = 2, UseAllLengths = true, MaximumNgramsCount = [40_000, 40_000] },
            CharFeatureExtractor = new WordBagEstimator.Options { NgramLength = 3, UseAllLengths = false, MaximumNgramsCount = [20_000] },
            Norm = TextFeaturizingEstimator.NormFunction.L2,
        };
        return _ml.Transforms.Text.FeaturizeText("TextFeatures", text, nameof(ClassifierInput.Text))
            .Append(_ml.Transforms.Concatenate("Numeric", MessageFeatures.NumericNames))
            .Append(_ml.Transforms.NormalizeMinMax("Numeric"))
            .Append(_ml.Transforms.Concatenate("Features", "TextFeatures", "Numeric"));
    }

    private (CandidateReport Report, ITransformer Model) Fit<TModel>(
        string name,
        ITransformer featurizer,
        IDataView featurized,
        IDataView holdOut,
        IEstimator<BinaryPredictionTransformer<CalibratedModelParametersBase<TModel, PlattCalibrator>>> trainer,
        Action<string>? progress)
        where TModel : class, ICalculateFeatureContribution
    {
        progress?.Invoke($"training {name}");
        var started = DateTime.UtcNow;
        var predictor = trainer.Fit(featurized);

        // Explanations: the top features pushing each prediction either way, computed by ML.NET itself.
        var contributions = _ml.Transforms.CalculateFeatureContribution(predictor, numberOfPositiveContributions: 6, numberOfNegativeContributions: 6, normalize: false)
            .Fit(predictor.Transform(featurized.Take(1)));
        var model = featurizer.Append(predictor).Append(contributions);
        var elapsed = DateTime.UtcNow - started;

        var scored = model.Transform(holdOut);
        var labels = scored.GetColumn<bool>("Label").ToArray();
        var probabilities = scored.GetColumn<float>("Probability").ToArray();
        var predictions = labels.Zip(probabilities, (label, probability) => (label, (double)probability)).ToList();
        var report = new CandidateReport(name, ClassifierMetrics.Auc(predictions), ClassifierMetrics.At(predictions, 0.5), ClassifierMetrics.At(predictions, ClassifierScoring.TagThreshold), elapsed);
        progress?.Invoke($"{name}: hold-out AUC {report.Auc:0.00000}; {ClassifierMetrics.Format(report.AtTag)}");
        return (report, model);
    }
}

internal static class DataViewExtensions
{
    public static IDataView Take(this IDataView data, int count) => new MLContext().Data.TakeRows(data, count);
}
