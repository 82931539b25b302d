namespace Gateway.Core.Pipeline;

/// <summary>How long one check took and how it ended; metrics and logs read these.</summary>
public sealed record CheckResult(string Name, CheckStatus Status, TimeSpan Elapsed);
