namespace Gateway.Core.Classification;

/// <summary>
/// How a probability becomes a symbol: ML_SPAM with factor 0..1 above 0.5, ML_HAM below. With the shipped
/// weights (ML_SPAM 8, capped at 6 by its group; tag at 5) the classifier alone tags from p = 0.8125, and
/// never rejects; that is the tag threshold the training report measures false positives at.
/// </summary>
public static class ClassifierScoring
{
    public const string SpamSymbol = "ML_SPAM";
    public const string HamSymbol = "ML_HAM";

    /// <summary>The probability at which ML_SPAM alone reaches the tag threshold with the shipped weights.</summary>
    public const double TagThreshold = 0.8125;

    /// <summary>
    /// ML_SPAM with factor 2(p - 0.5), or ML_HAM with 2(0.5 - p): the calibrated model has no unsure zone of
    /// its own; the site's Fisher-combined evidence does (<see cref="Learning.SiteEvidenceCheck.Score"/>).
    /// </summary>
    public static (string Symbol, double Factor) ToSymbol(double probability) =>
        probability >= 0.5 ? (SpamSymbol, (probability - 0.5) * 2) : (HamSymbol, (0.5 - probability) * 2);

    /// <summary>The probability a classifier symbol stands for (the inverse of <see cref="ToSymbol"/>); null for other symbols.</summary>
    public static double? ProbabilityOf(string symbol, double factor) => symbol switch
    {
        SpamSymbol => 0.5 + (factor / 2),
        HamSymbol => 0.5 - (factor / 2),
        _ => null,
    };
}
