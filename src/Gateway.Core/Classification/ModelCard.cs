using System.Globalization;
using System.Text;

namespace Gateway.Core.Classification;

/// <summary>Writes models/MODEL.md: what the model was trained on, how, and how well it did on the hold-out.</summary>
public static class ModelCard
{
    public static string Render(TrainingReport report, IReadOnlyList<string> hamFolders, IReadOnlyList<string> spamFolders, string command, DateTimeOffset trainedAt)
    {
        var text = new StringBuilder();
        text.AppendLine("# Spam model card");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- trained: {trainedAt:yyyy-MM-dd HH:mm} UTC, by `gateway train` (ML.NET FastTree, fixed seed: the same data gives the same model; scored by the gateway's own tree evaluator)");
        text.AppendLine(CultureInfo.InvariantCulture, $"- ham folders: {string.Join(", ", hamFolders.Select(folder => $"`{folder}`"))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- spam folders: {string.Join(", ", spamFolders.Select(folder => $"`{folder}`"))}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- split: stratified, deterministic by a hash of each message's path; {SpamModelTrainer.HoldOutFraction:P0} held out");
        text.AppendLine(CultureInfo.InvariantCulture, $"- training set: {report.TrainHam} ham, {report.TrainSpam} spam; hold-out: {report.HoldOutHam} ham, {report.HoldOutSpam} spam");
        text.AppendLine("- features: subject (list tags removed), decoded text parts, HTML reduced to visible text, and the registered domains of the links (word 1-2-grams and character 3-grams within words, hashed into 2^18 slots, L2-normalised; pronouns and the commonest function words are not counted, since list discussion and commercial mail differ in them for reasons of register, not intent), plus visible-text length, URL and link-domain counts, uppercase and punctuation ratios and invisible characters. Left out on purpose, because 2002 and 2026 mail differ in them for reasons unrelated to spam: MIME structure and content types, attachments, mailer names, HTML share, raw size, Received count");
        text.AppendLine(CultureInfo.InvariantCulture, $"- chosen trainer: **{report.Chosen.Trainer}** (best hold-out AUC), probabilities calibrated (Platt)");
        text.AppendLine();
        text.AppendLine("## Hold-out figures");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"The classifier alone tags a message from p >= {ClassifierScoring.TagThreshold} (ML_SPAM weight 8 x factor 2(p-0.5) reaches the tag threshold 5; its group is capped at 6, below the reject threshold 12, so the classifier alone never rejects).");
        text.AppendLine();
        text.AppendLine("| trainer | AUC | threshold | precision | spam recall | F1 | ham false positives | TP | FP | TN | FN | training time |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var candidate in report.Candidates)
        {
            foreach (var metrics in new[] { candidate.AtHalf, candidate.AtTag })
            {
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {candidate.Trainer}{(candidate == report.Chosen ? " (chosen)" : string.Empty)} | {candidate.Auc:0.0000} | {metrics.Threshold:0.###} | {metrics.Precision:P2} | {metrics.Recall:P2} | {metrics.F1:0.0000} | {metrics.FalsePositiveRate:P2} | {metrics.TruePositives} | {metrics.FalsePositives} | {metrics.TrueNegatives} | {metrics.FalseNegatives} | {candidate.TrainingTime.TotalSeconds:0}s |");
            }
        }

        text.AppendLine();
        AppendPerOrigin(text, report);
        text.AppendLine();
        text.AppendLine("## Against the project's targets (chosen model, hold-out)");
        text.AppendLine();
        var chosen = report.Chosen;
        text.AppendLine(CultureInfo.InvariantCulture, $"- AUC >= 0.995: {chosen.Auc:0.0000} — {(chosen.Auc >= 0.995 ? "met" : "NOT met")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- ham false positives <= 0.5 % at the tag threshold: {chosen.AtTag.FalsePositiveRate:P2} ({chosen.AtTag.FalsePositives} of {chosen.AtTag.FalsePositives + chosen.AtTag.TrueNegatives}) — {(chosen.AtTag.FalsePositiveRate <= 0.005 ? "met" : "NOT met")}");
        text.AppendLine(CultureInfo.InvariantCulture, $"- spam recall >= 95 % at the tag threshold: {chosen.AtTag.Recall:P2} — {(chosen.AtTag.Recall >= 0.95 ? "met" : "NOT met")}");
        text.AppendLine();
        text.AppendLine("These figures are on our own hold-out split of the development part of the corpus; the corpus's official hold-out part is not in this repository.");
        text.AppendLine();
        text.AppendLine("## Reproduce or retrain");
        text.AppendLine();
        text.AppendLine("```sh");
        text.AppendLine(command);
        text.AppendLine("```");
        text.AppendLine();
        text.AppendLine("To retrain on your own mail, add your folders (`.eml` files, directories or mbox): `--ham` and `--spam` repeat, e.g. `--ham ../shared/corpus/ham --ham /srv/mail/ham --spam ../shared/corpus/spam --spam /srv/mail/junk`. The gateway reloads `models/spam.zip` when the file changes.");
        return text.ToString();
    }

    /// <summary>
    /// The hold-out by era and by source: what a pooled figure hides (a source of commercial ham flagged
    /// at 10 % vanishes in thousands of list messages). Ham rows give the share flagged, spam rows the share caught.
    /// </summary>
    private static void AppendPerOrigin(StringBuilder text, TrainingReport report)
    {
        var model = new SpamModel(SpamModel.ScorerOf(report.Model, report.InputSchema)!);
        var scored = report.HoldOut.Select(example => (example, p: model.Predict(example.Features, _ => false).SpamProbability)).ToList();
        text.AppendLine("## Hold-out by era and by source (chosen model)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Ham rows: share flagged (p >= 0.5, and p >= {ClassifierScoring.TagThreshold}, where the classifier alone tags). Spam rows: share caught at the same two points.");
        text.AppendLine();
        text.AppendLine("| era / source | class | hold-out | p >= 0.5 | p >= tag |");
        text.AppendLine("| --- | --- | ---: | ---: | ---: |");
        var byEra = scored.GroupBy(item => (Era: item.example.Origin.StartsWith("corpus-modern", StringComparison.Ordinal) ? "2019-2026 (corpus-modern)" : item.example.Origin.StartsWith("corpus/", StringComparison.Ordinal) ? "2002 (corpus)" : "other", item.example.IsSpam));
        foreach (var group in byEra.OrderBy(group => group.Key.Era, StringComparer.Ordinal).ThenBy(group => group.Key.IsSpam))
        {
            Row($"**{group.Key.Era}**", group.Key.IsSpam, [.. group.Select(item => item.p)]);
        }

        foreach (var group in scored.GroupBy(item => (item.example.Origin, item.example.IsSpam)).OrderBy(group => group.Key.Origin, StringComparer.Ordinal))
        {
            Row(group.Key.Origin, group.Key.IsSpam, [.. group.Select(item => item.p)]);
        }

        void Row(string name, bool isSpam, List<double> probabilities) =>
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {(isSpam ? "spam" : "ham")} | {probabilities.Count} | {Share(probabilities, 0.5)} | {Share(probabilities, ClassifierScoring.TagThreshold)} |");

        static string Share(List<double> probabilities, double threshold)
        {
            var count = probabilities.Count(p => p >= threshold);
            return string.Create(CultureInfo.InvariantCulture, $"{count} ({(double)count / probabilities.Count:P1})");
        }
    }
}
