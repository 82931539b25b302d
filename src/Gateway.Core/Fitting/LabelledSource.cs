namespace Gateway.Core.Fitting;

/// <summary>
/// One labelled source of mail for <c>gateway rules fit</c>: a directory, Maildir or mbox of ham or spam,
/// with, for ham, the share of it that may be flagged (tag, quarantine or reject) at the tag threshold.
/// </summary>
/// <param name="Budget">A fraction (0.02 for 2 %); null for spam.</param>
public sealed record LabelledSource(string Name, bool IsSpam, string Path, double? Budget)
{
    /// <summary>How many of <paramref name="messages"/> the budget lets be flagged (2 % of 201: 4).</summary>
    public int Allowed(int messages) => Budget is { } budget ? (int)Math.Floor((budget * messages) + 1e-9) : messages;
}
