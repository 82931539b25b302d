namespace Gateway.Core.Classification;

/// <summary>One labelled message for training, with where it came from (for the reproducible split).</summary>
public sealed record TrainingExample(string Source, bool IsSpam, MessageFeatures Features);
