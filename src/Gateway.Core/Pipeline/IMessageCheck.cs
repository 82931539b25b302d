namespace Gateway.Core.Pipeline;

/// <summary>One check of the pipeline. It adds <see cref="SymbolHit"/>s to the context and returns how it ended.</summary>
public interface IMessageCheck
{
    /// <summary>Short lower-case name, also used in symbols for failures (<c>dkim</c> → <c>DKIM_CHECK_ERROR</c>).</summary>
    string Name { get; }

    /// <summary>The earliest phase in which the check can run.</summary>
    CheckPhase Phase { get; }

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
