using Gateway.Core.Pipeline;

namespace Gateway.Core.Classification;

/// <summary>The spam classifier in the pipeline: ML_SPAM or ML_HAM, with the features that decided it.</summary>
public sealed class ClassifierCheck(ModelSource models, Configuration.ClassifierExplain explain = Configuration.ClassifierExplain.Always) : IMessageCheck
{
    public string Name => "classifier";

    public CheckPhase Phase => CheckPhase.Data;

    public IReadOnlyList<string> DependsOn => [];

    /// <summary>Distinct words (2+ letters, subject included) a message needs before the classifier judges it.</summary>
    public const int MinimumDistinctWords = 5;

    private static int DistinctWords(string text)
    {
        var words = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in text.Split((char[])[' ', '\n', '\r', '\t', ',', '.', '!', '?', ':', ';', '"', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.Length >= 2 && word.Any(char.IsLetter) && !word.StartsWith("xlink", StringComparison.Ordinal))
            {
                words.Add(word);
                if (words.Count >= MinimumDistinctWords)
                {
                    break;
                }
            }
        }

        return words.Count;
    }

    public ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        if (models.Current is not { } model)
        {
            return ValueTask.FromResult(CheckStatus.Skipped);
        }

        var features = message.Features(cancellationToken);
        if (DistinctWords(features.Text) < MinimumDistinctWords)
        {
            // Too little text to judge (a photo with the subject "photos", "ok"): the model only guesses
            // there, and it guessed spam. rspamd's and SpamAssassin's Bayes also wait for enough tokens.
            return ValueTask.FromResult(CheckStatus.Skipped);
        }

        var result = model.Predict(
            features,
            probability => explain == Configuration.ClassifierExplain.Always || probability >= 0.5);
        message.Classification = result;
        var (symbol, factor) = ClassifierScoring.ToSymbol(result.SpamProbability);
        message.Add(new SymbolHit(symbol, factor, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p={result.SpamProbability:0.000} {result.Explain()}")));
        return ValueTask.FromResult(CheckStatus.Completed);
    }
}
