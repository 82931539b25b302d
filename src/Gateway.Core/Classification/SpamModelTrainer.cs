using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Trainers.FastTree;

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
/// Trains the spam model: our hashed text features (<see cref="HashedTextFeatures"/>: word 1-2-grams and
/// character 3-grams) plus the numeric features, into ML.NET's FastTree, calibrated (Platt). Each
/// candidate is measured on the hold-out through <see cref="SpamModel"/>'s own scorer, the code that
/// scores live mail; the one with the better AUC is kept. The split is stratified and deterministic (by a
/// hash of each message's path) and the seed fixed, so the same data gives the same model.
/// </summary>
public sealed class SpamModelTrainer
{
    public const double HoldOutFraction = 0.2;
    private const int Seed = 20261128;

    private readonly MLContext _ml = new(seed: Seed);

    public TrainingReport Train(IReadOnlyList<TrainingExample> examples, Action<string>? progress = null)
    {
        var (train, holdOut) = Split(examples);
        ReportTrees(progress);
        progress?.Invoke($"featurizing {train.Count} training messages");
        var scratch = new HashedTextFeatures();
        var weights = SourceWeights(train);
        var trainData = _ml.Data.LoadFromEnumerable(train.Select(example =>
        {
            var row = ClassifierRow.From(example.Features, example.IsSpam, scratch);
            row.Weight = weights[example.Origin];
            return row;
        }).ToList());

        // One candidate: the linear SDCA model the first versions also tried trailed by far (AUC 0.989 against
        // 0.998, and the scorer evaluates trees only); a larger forest was not measured to completion.
        var candidates = new List<(CandidateReport Report, ITransformer Model)>
        {
            Fit("fasttree", trainData, holdOut, _ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
            {
                LabelColumnName = nameof(ClassifierRow.Label),
                ExampleWeightColumnName = nameof(ClassifierRow.Weight),
                FeatureColumnName = nameof(ClassifierRow.Features),
                NumberOfLeaves = 20,
                NumberOfTrees = NumberOfTrees,
                MinimumExampleCountPerLeaf = 5,
                LearningRate = 0.1,
                NumberOfThreads = 1,
            }), progress),
        };

        var best = candidates.OrderByDescending(candidate => candidate.Report.Auc).ThenBy(candidate => candidate.Report.AtTag.FalsePositiveRate).First();
        return new TrainingReport(best.Model, trainData.Schema, best.Report, [.. candidates.Select(candidate => candidate.Report)],
            train.Count(example => !example.IsSpam), train.Count(example => example.IsSpam), holdOut);
    }

    /// <summary>
    /// Sources with few messages count more, up to <see cref="MaxSourceWeight"/> times: 115 commercial ham
    /// among 5,400 list and 2002 messages would otherwise hardly move the trees, and commercial mail is
    /// what the first model got wrong. A source of <see cref="BalancedSourceSize"/> or more counts once.
    /// </summary>
    private static Dictionary<string, float> SourceWeights(IReadOnlyList<TrainingExample> train) =>
        train.GroupBy(example => example.Origin).ToDictionary(
            group => group.Key,
            group => (float)Math.Clamp((double)BalancedSourceSize / group.Count(), 1.0, MaxSourceWeight));

    private const int NumberOfTrees = 200;

    /// <summary>
    /// Trees built, with an estimate of the time left, every 20 trees: FastTree says nothing for minutes
    /// otherwise. It traces one "numTotalTrees left" line per tree to the context's log; that is what we count.
    /// </summary>
    private void ReportTrees(Action<string>? progress)
    {
        if (progress is null)
        {
            return;
        }

        var trees = 0;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        _ml.Log += (_, entry) =>
        {
            if (!entry.Message.Contains("numTotalTrees left", StringComparison.Ordinal) || ++trees % 20 != 0)
            {
                return;
            }

            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var left = TimeSpan.FromSeconds(elapsed.TotalSeconds / trees * (NumberOfTrees - trees));
            progress($"trees built: {trees}/{NumberOfTrees}, about {left:mm\\:ss} left");
        };
    }

    private const int BalancedSourceSize = 400;
    private const double MaxSourceWeight = 4.0;

    public void Save(TrainingReport report, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = path + ".tmp";
        _ml.Model.Save(report.Model, report.InputSchema, temporary);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>Per class, messages ordered by a hash of their source; the first fifth is held out.</summary>
    public static (List<TrainingExample> Train, List<TrainingExample> HoldOut) Split(IReadOnlyList<TrainingExample> examples) =>
        Split(examples, example => example.IsSpam, example => example.Source);

    /// <summary>The same split for anything with a class and a source name (the benchmarks' simulated site measures on it).</summary>
    public static (List<T> Train, List<T> HoldOut) Split<T>(IEnumerable<T> items, Func<T, bool> isSpam, Func<T, string> source)
    {
        var train = new List<T>();
        var holdOut = new List<T>();
        foreach (var group in items.GroupBy(isSpam))
        {
            var ordered = group.OrderBy(item => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(source(item)))), StringComparer.Ordinal).ToList();
            var holdOutCount = (int)Math.Round(ordered.Count * HoldOutFraction);
            holdOut.AddRange(ordered.Take(holdOutCount));
            train.AddRange(ordered.Skip(holdOutCount));
        }

        return (train, holdOut);
    }

    private (CandidateReport Report, ITransformer Model) Fit(string name, IDataView trainData, IReadOnlyList<TrainingExample> holdOut, FastTreeBinaryTrainer trainer, Action<string>? progress)
    {
        progress?.Invoke($"training {name}");
        var started = DateTime.UtcNow;
        var model = trainer.Fit(trainData);
        var elapsed = DateTime.UtcNow - started;

        var scorer = new SpamModel(SpamModel.ScorerOf(model, trainData.Schema) ?? throw new InvalidOperationException("FastTree did not produce a calibrated tree ensemble"));
        var predictions = holdOut.Select(example => (example.IsSpam, scorer.Predict(example.Features, _ => false).SpamProbability)).ToList();
        var report = new CandidateReport(name, ClassifierMetrics.Auc(predictions), ClassifierMetrics.At(predictions, 0.5), ClassifierMetrics.At(predictions, ClassifierScoring.TagThreshold), elapsed);
        progress?.Invoke($"{name}: hold-out AUC {report.Auc:0.00000}; {ClassifierMetrics.Format(report.AtTag)}");
        return (report, model);
    }
}
