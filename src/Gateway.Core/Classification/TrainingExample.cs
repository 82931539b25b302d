namespace Gateway.Core.Classification;

/// <summary>One labelled message for training, with where it came from (for the reproducible split).</summary>
public sealed record TrainingExample(string Source, bool IsSpam, MessageFeatures Features)
{
    /// <summary>The source it is reported under (corpus folder and its sub-folder, e.g. corpus-modern/ham/foff-milter): figures per source, never only pooled.</summary>
    public string Origin { get; init; } = string.Empty;
}
