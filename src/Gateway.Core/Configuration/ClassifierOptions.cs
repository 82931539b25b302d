namespace Gateway.Core.Configuration;

/// <summary>The spam classifier. A missing or unreadable model is a warning: mail flows without it.</summary>
public sealed class ClassifierOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>The ML.NET model file (from <c>gateway train</c>); relative to the config file. Reloaded when it changes.</summary>
    public string Model { get; set; } = "models/spam.zip";

    public string ModelPath(string baseFolder) => Path.GetFullPath(Model, baseFolder);
}
