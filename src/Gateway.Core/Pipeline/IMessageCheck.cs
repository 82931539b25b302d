namespace Gateway.Core.Pipeline;

/// <summary>
/// One check of the DATA pipeline. It adds <see cref="SymbolHit"/>s to the context and returns how it ended.
/// Every such check runs after the message is received, in the order <see cref="DependsOn"/> makes (the
/// dialogue's own checks, at connect, MAIL and RCPT, are Smtp.Phases' registry, not these).
/// </summary>
public interface IMessageCheck
{
    /// <summary>Short lower-case name: what <see cref="DependsOn"/> lists, CHECK_ERROR's detail and the metrics' check label name.</summary>
    string Name { get; }

    /// <summary>Names of checks whose results this one reads (DMARC after SPF and DKIM).</summary>
    IReadOnlyList<string> DependsOn { get; }

    /// <summary>
    /// The check's own time limit when it is not limits.check_timeout: a check with a budget of its own
    /// (antivirus.timeout) is given a little more than that budget, so it ends on its own terms and its
    /// failure policy holds, instead of being cut off by the runner as CHECK_ERROR.
    /// </summary>
    TimeSpan? TimeLimit => null;

    ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken);
}
