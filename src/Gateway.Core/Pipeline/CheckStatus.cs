namespace Gateway.Core.Pipeline;

/// <summary>How one check ended. Failures are values: nothing escapes the runner as an exception.</summary>
public enum CheckStatus
{
    Completed,
    Skipped,
    TimedOut,
    Failed,
}
