using System.Globalization;
using Gateway.Core.Classification;
using Gateway.Core.Corpus;
using Gateway.Core.Learning;
using MimeKit;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway train --ham DIR --spam DIR [--learned DIR] [--out models/spam.zip]</c>: train, evaluate on a
/// hold-out, save. Guards: at least --min-per-class examples of each class; when a model is already at
/// --out, the new one must do no worse on the same hold-out (else it is not saved, unless --force); the
/// replaced model is kept under models/previous/ for rollback.
/// </summary>
internal static class TrainCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, new HashSet<string> { "--ham", "--spam", "--out", "--learned", "--min-per-class" }, new HashSet<string> { "--force" });
        var ham = parsed.Values("--ham").ToList();
        var spam = parsed.Values("--spam").ToList();
        foreach (var learned in parsed.Values("--learned"))
        {
            // What `gateway learn` collected from users' Junk and Inbox folders, next to our own corpus.
            ham.Add(Path.Combine(learned, "ham"));
            spam.Add(Path.Combine(learned, "spam"));
        }

        if (ham.Count == 0 || spam.Count == 0 || parsed.Positional.Count > 0)
        {
            throw new UsageException("train needs --ham DIR and --spam DIR (each may repeat) or --learned DIR, and an optional --out FILE");
        }

        var minimum = parsed.Value("--min-per-class") is { } text
            ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var parsedMinimum) ? parsedMinimum : throw new UsageException($"--min-per-class: '{text}' is not a number")
            : 50;

        var outPath = parsed.Value("--out") ?? Path.Combine("models", "spam.zip");
        var examples = new List<TrainingExample>();
        foreach (var (folders, isSpam) in new[] { (ham, false), (spam, true) })
        {
            foreach (var folder in folders)
            {
                var loaded = await LoadAsync(folder, isSpam, line =>
                {
                    lock (output)
                    {
                        output.WriteLine(line);
                    }
                }, cancellationToken);
                await output.WriteLineAsync($"{(isSpam ? "spam" : "ham")}: {loaded.Count} messages from {folder}");
                examples.AddRange(loaded);
            }
        }

        var hamCount = examples.Count(example => !example.IsSpam);
        var spamCount = examples.Count - hamCount;
        if (hamCount < minimum || spamCount < minimum)
        {
            throw new UsageException($"too few examples to train on: {hamCount} ham, {spamCount} spam (at least {minimum} of each; --min-per-class)");
        }

        var trainer = new SpamModelTrainer();
        var report = trainer.Train(examples, line => output.WriteLine(line));
        if (File.Exists(outPath) && LoadCurrent(outPath, output) is { } current)
        {
            var comparison = ModelGuard.Compare(current, report, ClassifierScoring.TagThreshold);
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"on this hold-out: current model AUC {comparison.CurrentAuc:0.00000}, ham flagged {comparison.CurrentFalsePositiveRate:P2}; new model AUC {comparison.NewAuc:0.00000}, ham flagged {comparison.NewFalsePositiveRate:P2}"));
            if (comparison.NewIsWorse && !parsed.Has("--force"))
            {
                await output.WriteLineAsync($"the new model is worse on the same hold-out: {outPath} left as it was (--force replaces it anyway)");
                return 1;
            }
        }

        if (ModelGuard.KeepPrevious(outPath, DateTimeOffset.UtcNow) is { } kept)
        {
            await output.WriteLineAsync($"previous model kept as {kept} (copy it back to roll back; the gateway reloads it)");
        }

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

    /// <summary>The model at --out, or null (said) when this version cannot read it: then there is nothing to compare with.</summary>
    private static SpamModel? LoadCurrent(string path, TextWriter output)
    {
        try
        {
            return SpamModel.Load(path);
        }
        catch (Exception exception) when (SpamModel.IsUnreadable(exception))
        {
            output.WriteLine($"the model at {path} cannot be read by this version ({exception.Message}); replacing it without a comparison");
            return null;
        }
    }

    /// <summary>A folder as the model card names it: its last two path parts (corpus-modern/ham).</summary>
    private static string FolderLabel(string folder)
    {
        var full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetFileName(Path.GetDirectoryName(full) ?? string.Empty);
        return string.IsNullOrEmpty(parent) ? Path.GetFileName(full) : $"{parent}/{Path.GetFileName(full)}";
    }

    /// <summary>Parses and featurizes in parallel; the source name is relative to the folder, so the split does not depend on where the data lies.</summary>
    private static async Task<List<TrainingExample>> LoadAsync(string folder, bool isSpam, Action<string> progress, CancellationToken cancellationToken)
    {
        var items = MessageFiles.Enumerate(folder).ToList();
        var examples = new TrainingExample?[items.Count];
        var done = 0;
        await Parallel.ForAsync(0, items.Count, cancellationToken, async (i, ct) =>
        {
            var item = items[i];
            try
            {
                var message = await MimeMessage.LoadAsync(new MemoryStream(item.Raw.ToArray(), writable: false), ct);
                var relative = Path.GetRelativePath(folder, item.Name);
                var source = (isSpam ? "spam/" : "ham/") + relative;
                var subfolder = relative.Contains(Path.DirectorySeparatorChar) ? "/" + relative[..relative.IndexOf(Path.DirectorySeparatorChar)] : string.Empty;
                examples[i] = new TrainingExample(source, isSpam, MessageFeatures.Extract(message, item.Raw.Length)) { Origin = FolderLabel(folder) + subfolder };
            }
            catch (FormatException)
            {
                // Not parseable as a message at all: nothing to learn from it.
            }

            if (Interlocked.Increment(ref done) % 1000 == 0)
            {
                progress($"{folder}: {done}/{items.Count} messages featurized");
            }
        });
        return [.. examples.OfType<TrainingExample>()];
    }
}
