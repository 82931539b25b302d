using Gateway.Core.Classification;
using Gateway.Core.Corpus;
using MimeKit;

namespace Gateway.Core.Tests.Classification;

/// <summary>One model trained on a small slice of ../shared/corpus, saved, shared by the tests of this class (training is the slow part).</summary>
public sealed class TrainedSlice
{
    // Trained on first use, not when xunit builds the fixture: without ../shared the tests skip instead of failing in the constructor.
    private readonly Lazy<(List<TrainingExample> Examples, TrainingReport Report, string Path)> _trained;

    public TrainedSlice()
    {
        _trained = new(() =>
        {
            List<TrainingExample> examples = [.. SpamModelTrainerTests.Slice("ham", 60).Concat(SpamModelTrainerTests.Slice("spam", 60))];
            var report = Trainer.Train(examples);
            var path = System.IO.Path.Combine(Directory.CreateTempSubdirectory("model-").FullName, "spam.zip");
            Trainer.Save(report, path);
            return (examples, report, path);
        });
    }

    public SpamModelTrainer Trainer { get; } = new();

    public List<TrainingExample> Examples => _trained.Value.Examples;

    public TrainingReport Report => _trained.Value.Report;

    public string Path => _trained.Value.Path;
}

/// <summary>Training on a small slice of ../shared/corpus: the whole path, save and load included.</summary>
public sealed class SpamModelTrainerTests(TrainedSlice trained) : IClassFixture<TrainedSlice>
{
    internal static List<TrainingExample> Slice(string label, int count)
    {
        var folder = Path.Combine(RepositoryRoot.Shared, "corpus", label);
        return [.. MessageFiles.Enumerate(folder).Take(count).Select(item =>
            new TrainingExample(label + "/" + Path.GetRelativePath(folder, item.Name), label == "spam",
                MessageFeatures.Extract(MimeMessage.Load(new MemoryStream(item.Raw.ToArray())), item.Raw.Length)))];
    }

    [SkippableFact]
    public void The_split_is_stratified_and_deterministic()
    {
        SharedData.Require("corpus");
        var examples = Slice("ham", 50).Concat(Slice("spam", 25)).ToList();

        var (train, holdOut) = SpamModelTrainer.Split(examples);
        var (_, again) = SpamModelTrainer.Split([.. Enumerable.Reverse(examples)]);

        Assert.Equal((10, 5), (holdOut.Count(e => !e.IsSpam), holdOut.Count(e => e.IsSpam)));
        Assert.Equal(60, train.Count);
        Assert.Equal(holdOut.Select(e => e.Source).Order(), again.Select(e => e.Source).Order());
    }

    [SkippableFact]
    public void A_model_trained_on_a_slice_reports_metrics_and_loads_back_with_identical_probabilities()
    {
        SharedData.Require("corpus");
        var (examples, report, path) = (trained.Examples, trained.Report, trained.Path);
        var loaded = SpamModel.Load(path);
        var again = SpamModel.Load(path);

        Assert.Single(report.Candidates);
        Assert.Equal(24, report.HoldOutHam + report.HoldOutSpam);
        Assert.InRange(report.Chosen.Auc, 0.5, 1.0);
        var atHalf = report.Chosen.AtHalf;
        Assert.Equal(24, atHalf.TruePositives + atHalf.FalsePositives + atHalf.TrueNegatives + atHalf.FalseNegatives);

        var spam = examples.First(e => e.IsSpam).Features;
        var first = loaded.Predict(spam);
        Assert.Equal(first.SpamProbability, again.Predict(spam).SpamProbability);
        Assert.Equal(first.SpamProbability, loaded.Predict(spam).SpamProbability);
        Assert.InRange(first.SpamProbability, 0.0, 1.0);
        Assert.NotEmpty(first.TopFeatures);

        // Scoring without the explanation (the fast path) gives the very same probability.
        var unexplained = loaded.Predict(spam, _ => false);
        Assert.Equal(first.SpamProbability, unexplained.SpamProbability);
        Assert.Empty(unexplained.TopFeatures);
    }

    [SkippableFact]
    public void Our_tree_scorer_gives_ML_NETs_own_probabilities()
    {
        SharedData.Require("corpus");
        var (examples, path) = (trained.Examples, trained.Path);
        var ours = SpamModel.Load(path);

        var ml = new Microsoft.ML.MLContext();
        var engine = ml.Model.CreatePredictionEngine<ClassifierRow, ClassifierOutput>(ml.Model.Load(path, out _));
        var scratch = new HashedTextFeatures();
        var compared = 0;
        foreach (var example in examples)
        {
            var expected = engine.Predict(ClassifierRow.From(example.Features, example.IsSpam, scratch)).Probability;
            Assert.Equal(expected, ours.Predict(example.Features, _ => false).SpamProbability, 4);
            compared++;
        }

        Assert.Equal(120, compared);
    }

    [SkippableFact]
    public void Each_contribution_is_the_score_with_the_feature_minus_the_score_without_it()
    {
        SharedData.Require("corpus");
        var ml = new Microsoft.ML.MLContext();
        var scorer = SpamModel.ScorerOf(ml.Model.Load(trained.Path, out var schema), schema)!;
        var text = new HashedTextFeatures();
        foreach (var example in trained.Examples.Where((_, index) => index % 10 == 0))
        {
            text.Load(example.Features.Text);
            var numerics = new float[FeatureLayout.NumericCount];
            example.Features.Numerics(numerics);
            var values = new FeatureValues(text, numerics);
            var contributions = scorer.Contributions(values);

            var score = scorer.Score(values);
            var slots = text.Touched.Concat(Enumerable.Range(HashedTextFeatures.SlotCount, FeatureLayout.NumericCount)).ToList();
            foreach (var slot in slots)
            {
                Assert.Equal(score - scorer.Score(values, absentFeature: slot), contributions.GetValueOrDefault(slot), 9);
            }

            Assert.All(contributions.Keys, slot => Assert.Contains(slot, slots));
        }
    }

    [SkippableFact]
    public void An_explanation_names_the_words_of_the_message_and_its_contributions_add_up_towards_the_score()
    {
        SharedData.Require("corpus");
        var (examples, path) = (trained.Examples, trained.Path);
        var model = SpamModel.Load(path);

        var spam = examples.Where(e => e.IsSpam).Select(e => (e.Features, Result: model.Predict(e.Features))).First(e => e.Result.SpamProbability > 0.5);
        var folded = spam.Features.Text.ToLowerInvariant();
        Assert.NotEmpty(spam.Result.TopFeatures);
        Assert.Contains(spam.Result.TopFeatures, feature => feature.Weight > 0);
        foreach (var feature in spam.Result.TopFeatures)
        {
            // Every name is an n-gram of this message's text or one of the numeric features, never a slot number.
            var name = feature.Feature.StartsWith("part of \"", StringComparison.Ordinal) ? feature.Feature[9..^1] : feature.Feature;
            Assert.True(MessageFeatures.NumericNames.Contains(name) || name.Split(' ').All(word => folded.Contains(word, StringComparison.Ordinal)), $"'{feature.Feature}' is not from the message");
        }
    }
}
