using Gateway.Core.Pipeline;

namespace Gateway.Core.Classification;

/// <summary>
/// The spam classifier in the pipeline: ML_SPAM or ML_HAM, with the features that decided it. A short
/// message written to a person (<see cref="OneToOne"/>) without a link gets ML_SPAM in proportion to its
/// words (classifier.short_text_words).
/// </summary>
/// <param name="shortTextWords">classifier.short_text_words: below this many distinct words, with no link, ML_SPAM is scaled down (0: never).</param>
public sealed class ClassifierCheck(ModelSource models, Configuration.ClassifierExplain explain = Configuration.ClassifierExplain.Always, int shortTextWords = 0) : IMessageCheck
{
    public string Name => "classifier";

    public IReadOnlyList<string> DependsOn => [];

    /// <summary>Distinct words (2+ letters, subject included) a message needs before the classifier judges it.</summary>
    public const int MinimumDistinctWords = 5;

    private static readonly System.Buffers.SearchValues<char> WordSeparators = System.Buffers.SearchValues.Create(" \n\r\t,.!?:;\"()");

    /// <summary>
    /// Distinct words (2+ characters, a letter among them; not the xlink words of link domains), ignoring case,
    /// counted up to <paramref name="enough"/>. Read in place: only a word not seen before becomes a string, where
    /// splitting the whole text first made one per word of up to 16 KB of text.
    /// </summary>
    internal static int DistinctWords(string text, int enough)
    {
        var words = new HashSet<string>(enough, StringComparer.OrdinalIgnoreCase);
        var seen = words.GetAlternateLookup<ReadOnlySpan<char>>();
        var rest = text.AsSpan();
        while (rest.Length > 0 && words.Count < enough)
        {
            var end = rest.IndexOfAny(WordSeparators);
            var word = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            if (word.Length >= 2 && ContainsLetter(word) && !word.StartsWith("xlink", StringComparison.Ordinal))
            {
                seen.Add(word);
            }
        }

        return words.Count;
    }

    private static bool ContainsLetter(ReadOnlySpan<char> word)
    {
        foreach (var c in word)
        {
            if (char.IsLetter(c))
            {
                return true;
            }
        }

        return false;
    }

    public ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        if (models.Current is not { } model)
        {
            return ValueTask.FromResult(CheckStatus.Skipped);
        }

        var features = message.Features(cancellationToken);
        var words = DistinctWords(features.Text, Math.Max(MinimumDistinctWords, shortTextWords));
        if (words < MinimumDistinctWords)
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
        var detail = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p={result.SpamProbability:0.000} {result.Explain()}");
        if (symbol == ClassifierScoring.SpamSymbol && features.UrlCount == 0 && words < shortTextWords && OneToOne.Holds(message.Message, features.Text))
        {
            // Short, no link to follow, written to a person: the model's confidence rests on a handful of words.
            factor *= (double)words / shortTextWords;
            detail = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{detail} short={words}/{shortTextWords} words, no link");
        }

        message.Add(new SymbolHit(symbol, factor, detail));
        return ValueTask.FromResult(CheckStatus.Completed);
    }
}
