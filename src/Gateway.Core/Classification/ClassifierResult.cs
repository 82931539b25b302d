namespace Gateway.Core.Classification;

/// <summary>One feature's push on a prediction: positive towards spam, negative towards ham.</summary>
public sealed record FeatureContribution(string Feature, double Weight);

/// <summary>The classifier's answer for one message, with the features that weighed most either way.</summary>
public sealed record ClassifierResult(double SpamProbability, IReadOnlyList<FeatureContribution> TopFeatures)
{
    /// <summary>For X-Spam-Status and logs: <c>+"free money"(0.41) -"cvs"(-0.20)</c>.</summary>
    public string Explain() => string.Join(' ', TopFeatures.Select(feature =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(feature.Weight >= 0 ? "+" : "-")}\"{feature.Feature}\"({feature.Weight:0.00})")));
}
