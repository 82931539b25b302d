using System.Globalization;
using Gateway.Core.Classification;
using Gateway.Core.Corpus;
using MimeKit;

namespace Gateway.Cli;

/// <summary><c>gateway train --ham DIR --spam DIR [--out models/spam.zip]</c>: train, evaluate on a hold-out, save.</summary>
internal static class TrainCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, new HashSet<string> { "--ham", "--spam", "--out" }, new HashSet<string>());
        var ham = parsed.Values("--ham");
        var spam = parsed.Values("--spam");
        if (ham.Count == 0 || spam.Count == 0 || parsed.Positional.Count > 0)
        {
            throw new UsageException("train needs --ham DIR and --spam DIR (each may repeat), and an optional --out FILE");
        }

        var outPath = parsed.Value("--out") ?? Path.Combine("models", "spam.zip");
        var examples = new List<TrainingExample>();
        foreach (var (folders, isSpam) in new[] { (ham, false), (spam, true) })
        {
            foreach (var folder in folders)
            {
                var loaded = await LoadAsync(folder, isSpam, cancellationToken);
                await output.WriteLineAsync($"{(isSpam ? "spam" : "ham")}: {loaded.Count} messages from {folder}");
                examples.AddRange(loaded);
            }
        }

        var trainer = new SpamModelTrainer();
        var report = trainer.Train(examples, line => output.WriteLine(line));
        trainer.Save(report, outPath);
        var command = $"gateway train {string.Join(' ', ham.Select(folder => $"--ham {folder}"))} {string.Join(' ', spam.Select(folder => $"--spam {folder}"))} --out {outPath}";
        var card = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outPath))!, "MODEL.md");
        await File.WriteAllTextAsync(card, ModelCard.Render(report, ham, spam, command, DateTimeOffset.UtcNow), cancellationToken);

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"chosen: {report.Chosen.Trainer}, hold-out AUC {report.Chosen.Auc:0.00000}"));
        await output.WriteLineAsync(ClassifierMetrics.Format(report.Chosen.AtHalf));
        await output.WriteLineAsync(ClassifierMetrics.Format(report.Chosen.AtTag));
        await output.WriteLineAsync($"saved {outPath} and {card}");
        return 0;
    }

    /// <summary>Parses and featurizes in parallel; the source name is relative to the folder, so the split does not depend on where the data lies.</summary>
    private static async Task<List<TrainingExample>> LoadAsync(string folder, bool isSpam, CancellationToken cancellationToken)
    {
        var items = MessageFiles.Enumerate(folder).ToList();
        var examples = new TrainingExample?[items.Count];
        await Parallel.ForAsync(0, items.Count, cancellationToken, async (i, ct) =>
        {
            var item = items[i];
            try
            {
                var message = await MimeMessage.LoadAsync(new MemoryStream(item.Raw.ToArray(), writable: false), ct);
                var source = (isSpam ? "spam/" : "ham/") + Path.GetRelativePath(folder, item.Name);
                examples[i] = new TrainingExample(source, isSpam, MessageFeatures.Extract(message, item.Raw.Length));
            }
            catch (FormatException)
            {
                // Not parseable as a message at all: nothing to learn from it.
            }
        });
        return [.. examples.OfType<TrainingExample>()];
    }
}
