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

    /// <summary>
    /// Training weight: a ham message counts three times as much as a spam, because calling ham spam costs a
    /// user real mail while a missed spam costs a keystroke (cost-sensitive training, as spam filters do).
    /// </summary>
    public float Weight { get; set; } = 1f;

    public const float HamWeight = 3f;

    public static ClassifierInput From(MessageFeatures features, bool label = false) => new()
    {
        Weight = label ? 1f : HamWeight,
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

    [VectorType]
    public float[] FeatureContributions { get; set; } = [];
}
