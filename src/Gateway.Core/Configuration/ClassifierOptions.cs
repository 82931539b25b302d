namespace Gateway.Core.Configuration;

/// <summary>The spam classifier. A missing or unreadable model is a warning: mail flows without it.</summary>
public sealed record ClassifierOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>The ML.NET model file (from <c>gateway train</c>); relative to the config file. Reloaded when it changes.</summary>
    public string Model { get; init; } = "models/spam.zip";

    /// <summary>
    /// Which verdicts name the features behind them: <c>spam</c> (p >= 0.5, the default) or <c>always</c>.
    /// An explanation costs about ten times the prediction, so ham is scored without one by default.
    /// </summary>
    public ClassifierExplain Explain { get; init; } = ClassifierExplain.Spam;

    /// <summary>
    /// A message without a link and with fewer distinct words than this gets ML_SPAM in proportion to its
    /// words (12 words of 40: 0.3 of the weight): a few words from a colleague are too little evidence for
    /// a model that learned from long mail, and it guessed spam on them ("Thank you so much for your help
    /// yesterday" scored p = 0.99 on punctuation and length alone). ML_HAM is not scaled. 0 = off.
    /// </summary>
    public int ShortTextWords { get; init; } = 40;

    internal void Validate(ConfigErrors errors) =>
        errors.Require(ShortTextWords is >= 0 and <= 1000, "classifier.short_text_words", "must be between 0 (off) and 1000");

    public string ModelPath(string baseFolder) => Path.GetFullPath(Model, baseFolder);
}

public enum ClassifierExplain
{
    Spam,
    Always,
}
