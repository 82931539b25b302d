using Microsoft.ML.Data;

namespace Gateway.Core.Classification;

/// <summary>The ML.NET row: one message's features and, for training, its label.</summary>
public sealed class ClassifierInput
{
    public string Text { get; set; } = string.Empty;

    public float SizeLog { get; set; }

    public float UrlCount { get; set; }

    public float DistinctDomains { get; set; }

    public float HtmlRatio { get; set; }

    public float AttachmentCount { get; set; }

    public float UppercaseRatio { get; set; }

    public float PunctuationRatio { get; set; }

    public float ReceivedCount { get; set; }

    public bool Label { get; set; }

    public static ClassifierInput From(MessageFeatures features, bool label = false) => new()
    {
        Text = features.Text,
        SizeLog = features.SizeLog,
        UrlCount = features.UrlCount,
        DistinctDomains = features.DistinctDomains,
        HtmlRatio = features.HtmlRatio,
        AttachmentCount = features.AttachmentCount,
        UppercaseRatio = features.UppercaseRatio,
        PunctuationRatio = features.PunctuationRatio,
        ReceivedCount = features.ReceivedCount,
        Label = label,
    };
}

/// <summary>What the model answers: a calibrated spam probability and the features that weighed most.</summary>
public sealed class ClassifierOutput
{
    public float Probability { get; set; }

    public float Score { get; set; }

    /// <summary>Sparse (the model keeps the top contributions only): a dense copy would be one float per n-gram slot, per message.</summary>
    public VBuffer<float> FeatureContributions { get; set; }
}
