using Gateway.Core.Configuration;

namespace Gateway.Core.Scoring;

/// <summary>rules/actions.yaml: the score thresholds and what happens when a check fails.</summary>
public sealed class ActionsFile
{
    public ActionThresholds Actions { get; set; } = new();

    /// <summary>What a CHECK_ERROR (a check that threw or timed out) does: score as usual, or tempfail the message.</summary>
    public CheckErrorFallback OnCheckError { get; set; } = CheckErrorFallback.Accept;

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(double.IsFinite(Actions.Tag), "actions.tag", "must be a number");
        errors.Require(double.IsFinite(Actions.Reject), "actions.reject", "must be a number");
        errors.Require(Actions.Reject > Actions.Tag, "actions.reject", $"must be above the tag threshold ({Actions.Tag})");
        errors.Require(Actions.Quarantine is null || (Actions.Quarantine >= Actions.Tag && Actions.Quarantine < Actions.Reject), "actions.quarantine", $"must be between the tag ({Actions.Tag}) and reject ({Actions.Reject}) thresholds");
    }
}

public sealed class ActionThresholds
{
    public double Tag { get; set; } = 6.0;

    public double Reject { get; set; } = 15.0;

    /// <summary>Optional: from this score up to the reject threshold, hold the message in quarantine instead of tagging it.</summary>
    public double? Quarantine { get; set; }
}

public enum CheckErrorFallback
{
    Accept,
    Tempfail,
}
