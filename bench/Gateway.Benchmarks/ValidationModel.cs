using Gateway.Core.Classification;

namespace Gateway.Benchmarks;

/// <summary>
/// A model for tuning site learning without touching the hold-out: `gateway train`'s own trainer, given the
/// training part only, holds out its first fifth (the validation fifth) and trains on the rest. Kept under
/// data/bench/ (not committed; about a quarter of an hour to build on two cores) and reused while it exists.
/// </summary>
internal static class ValidationModel
{
    /// <param name="salt">The fold's salt (empty for the first): prefixed to each source name, so the trainer's own split holds out that fold.</param>
    public static string PathFor(string root, List<SiteLearningSimulation.Mail> fit, List<SiteLearningSimulation.Mail> validation, string salt)
    {
        var path = Path.Combine(root, "data", "bench", salt.Length == 0 ? "site-validation-spam.zip" : $"site-validation-{salt.TrimEnd(':')}-spam.zip");
        if (File.Exists(path))
        {
            return path;
        }

        Console.Error.WriteLine($"training the validation model on {fit.Count} messages (once; kept at {path})");
        var examples = new List<TrainingExample>();
        foreach (var m in fit.Concat(validation))
        {
            var message = SiteLearningSimulation.Parse(m.Raw);
            examples.Add(new TrainingExample(salt + m.Key, m.IsSpam, MessageFeatures.Extract(message, m.Raw.Length)) { Origin = m.Source });
        }

        var trainer = new SpamModelTrainer();
        var report = trainer.Train(examples, line => Console.Error.WriteLine(line));
        var heldOut = report.HoldOut.Select(example => example.Source[salt.Length..]).ToHashSet(StringComparer.Ordinal);
        if (!heldOut.SetEquals(validation.Select(m => m.Key)))
        {
            throw new InvalidOperationException("the trainer held out other messages than the validation fifth: the splits disagree");
        }

        Console.Error.WriteLine($"validation model: AUC {report.Chosen.Auc:0.00000} on the validation fifth");
        trainer.Save(report, path);
        return path;
    }
}
