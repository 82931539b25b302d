namespace Gateway.Core.Pipeline;

public enum VerdictAction
{
    Accept,
    Tag,
    Reject,

    /// <summary>Infrastructure trouble (or greylisting): the client is told to retry later.</summary>
    TempFail,

    /// <summary>Held in the quarantine store and acknowledged with 250: an operator releases or deletes it.</summary>
    Quarantine,
}
