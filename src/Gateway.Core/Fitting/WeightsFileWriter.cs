using System.Globalization;
using System.Text;

namespace Gateway.Core.Fitting;

/// <summary>Writes weights.yaml: provenance first (as comments and as the <c>fitted:</c> mapping), then the weights and the map.</summary>
public static class WeightsFileWriter
{
    public static string Render(Scoring.WeightsFile weights, IReadOnlyList<string> summary)
    {
        var text = new StringBuilder();
        text.Append("# Written by `gateway rules fit`: weights fitted to labelled mail. They replace the weights that\n");
        text.Append("# symbols.yaml, the rules and lists.yaml give for the same symbols; classifier_map replaces ML_SPAM and\n");
        text.Append("# ML_HAM's weight x factor. Fit again rather than editing; delete this file to go back to the hand-set weights.\n");
        foreach (var line in summary)
        {
            text.Append("# ").Append(line).Append('\n');
        }

        text.Append("fitted:\n");
        foreach (var (key, value) in weights.Fitted)
        {
            text.Append("  ").Append(key).Append(": ").Append(Quote(value)).Append('\n');
        }

        text.Append(weights.Weights.Count == 0 ? "weights: {}\n" : "weights:\n");
        foreach (var (name, weight) in weights.Weights.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            text.Append("  ").Append(name).Append(": ").Append(Number(weight)).Append('\n');
        }

        if (weights.ClassifierMap.Count > 0)
        {
            text.Append("classifier_map:\n");
            foreach (var point in weights.ClassifierMap)
            {
                text.Append("  - {p: ").Append(Number(point.P)).Append(", score: ").Append(Number(point.Score)).Append("}\n");
            }
        }

        return text.ToString();
    }

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal) + "\"";
}
