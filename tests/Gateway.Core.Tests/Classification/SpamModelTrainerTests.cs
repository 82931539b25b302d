using Gateway.Core.Classification;
using Gateway.Core.Corpus;
using MimeKit;

namespace Gateway.Core.Tests.Classification;

/// <summary>Training on a small slice of ../shared/corpus: the whole path, save and load included.</summary>
public sealed class SpamModelTrainerTests
{
    private static List<TrainingExample> Slice(string label, int count)
    {
        var folder = Path.Combine(RepositoryRoot.Shared, "corpus", label);
        return [.. MessageFiles.Enumerate(folder).Take(count).Select(item =>
            new TrainingExample(label + "/" + Path.GetRelativePath(folder, item.Name), label == "spam",
                MessageFeatures.Extract(MimeMessage.Load(new MemoryStream(item.Raw.ToArray())), item.Raw.Length)))];
    }

    [Fact]
    public void The_split_is_stratified_and_deterministic()
    {
        var examples = Slice("ham", 50).Concat(Slice("spam", 25)).ToList();

        var (train, holdOut) = SpamModelTrainer.Split(examples);
        var (_, again) = SpamModelTrainer.Split([.. Enumerable.Reverse(examples)]);

        Assert.Equal((10, 5), (holdOut.Count(e => !e.IsSpam), holdOut.Count(e => e.IsSpam)));
        Assert.Equal(60, train.Count);
        Assert.Equal(holdOut.Select(e => e.Source).Order(), again.Select(e => e.Source).Order());
    }

    [Fact]
    public void A_model_trained_on_a_slice_reports_metrics_and_loads_back_with_identical_probabilities()
    {
        var examples = Slice("ham", 60).Concat(Slice("spam", 60)).ToList();
        var trainer = new SpamModelTrainer();
        var path = Path.Combine(Directory.CreateTempSubdirectory("model-").FullName, "spam.zip");

        var report = trainer.Train(examples);
        trainer.Save(report, path);
        var loaded = SpamModel.Load(path);
        var again = SpamModel.Load(path);

        Assert.Equal(2, report.Candidates.Count);
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
}
