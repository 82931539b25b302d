namespace Gateway.Core.Configuration;

/// <summary>The spam classifier. A missing or unreadable model is a warning: mail flows without it.</summary>
public sealed class ClassifierOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>The ML.NET model file (from <c>gateway train</c>); relative to the config file. Reloaded when it changes.</summary>
    public string Model { get; set; } = "models/spam.zip";

    /// <summary>
    /// Which verdicts name the features behind them: <c>spam</c> (p >= 0.5, the default) or <c>always</c>.
    /// An explanation costs about ten times the prediction, so ham is scored without one by default.
    /// </summary>
    public ClassifierExplain Explain { get; set; } = ClassifierExplain.Spam;

    public string ModelPath(string baseFolder) => Path.GetFullPath(Model, baseFolder);
}

public enum ClassifierExplain
{
    Spam,
    Always,
}
