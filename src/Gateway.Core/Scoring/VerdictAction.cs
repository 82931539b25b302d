namespace Gateway.Core.Scoring;

public enum VerdictAction
{
    Accept,
    Tag,
    Reject,

    /// <summary>Infrastructure trouble (or greylisting): the client is told to retry later.</summary>
    TempFail,
}
