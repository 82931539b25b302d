using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Scoring;

/// <summary>rules/actions.yaml: the score thresholds and what happens when a check fails.</summary>
public sealed class ActionsFile
{
    public ActionThresholds Actions { get; init; } = new();

    /// <summary>
    /// Policy groups: recipients (domains or addresses) with thresholds of their own. A transaction carries
    /// one group's recipients only (the others are asked to come back in another), so each gets its own verdict.
    /// </summary>
    public List<PolicyGroup> Groups { get; init; } = [];

    /// <summary>What a CHECK_ERROR (a check that threw or timed out) does: score as usual, or tempfail the message.</summary>
    public CheckErrorFallback OnCheckError { get; init; } = CheckErrorFallback.Accept;

    /// <summary>
    /// Optional: put in front of the Subject of mail forwarded as spam ("[SPAM]", rspamd's rewrite_subject), for
    /// mail clients that cannot filter on X-Spam-Flag. It changes a signed header: DKIM signatures covering the
    /// Subject no longer verify after us (our own Authentication-Results records that they did).
    /// </summary>
    public string? SubjectTag { get; init; }

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(double.IsFinite(Actions.Tag), "actions.tag", "must be a number");
        errors.Require(double.IsFinite(Actions.Reject), "actions.reject", "must be a number");
        errors.Require(Actions.Reject > Actions.Tag, "actions.reject", $"must be above the tag threshold ({Actions.Tag})");
        for (var i = 0; i < Groups.Count; i++)
        {
            Groups[i].Validate(errors, $"groups.{i}", Actions);
            errors.Require(Groups.FindIndex(other => other.Name == Groups[i].Name) == i && Groups[i].Name != PolicyGroup.Default, $"groups.{i}.name", $"'{Groups[i].Name}' is used twice (or is the reserved name default)");
        }

        errors.Require(Actions.Quarantine is null || (Actions.Quarantine >= Actions.Tag && Actions.Quarantine < Actions.Reject), "actions.quarantine", $"must be between the tag ({Actions.Tag}) and reject ({Actions.Reject}) thresholds");
        errors.Require(Actions.SoftReject is null || (Actions.SoftReject >= Actions.Tag && Actions.SoftReject < Actions.Reject), "actions.soft_reject", $"must be between the tag ({Actions.Tag}) and reject ({Actions.Reject}) thresholds");
        errors.Require(Actions.SoftReject is null || Actions.SoftReject != Actions.Quarantine, "actions.soft_reject", "must differ from the quarantine threshold (the higher of the two takes the band above it)");
        errors.Require(SubjectTag is null || (SubjectTag.Trim().Length is > 0 and <= 40 && !SubjectTag.Any(char.IsControl)), "subject_tag", "1 to 40 characters on one line, e.g. \"[SPAM]\"");
    }
}

public sealed class ActionThresholds
{
    public double Tag { get; init; } = 6.0;

    public double Reject { get; init; } = 15.0;

    /// <summary>Optional: from this score up to the reject threshold, hold the message in quarantine instead of tagging it.</summary>
    public double? Quarantine { get; init; }

    /// <summary>
    /// Optional: from this score, answer 451 4.7.1 (rspamd's soft reject): a real mail server retries and gets the
    /// same answer until its queue gives up and tells the sender, while much spamware never retries. With both
    /// this and quarantine set, each holds the band from its threshold up to the next one above it.
    /// </summary>
    public double? SoftReject { get; init; }

    /// <summary>The action a score earns: the highest threshold it reaches (accept below tag).</summary>
    public VerdictAction ActionFor(double score) =>
        new (double? Threshold, VerdictAction Action)[] { (Reject, VerdictAction.Reject), (Quarantine, VerdictAction.Quarantine), (SoftReject, VerdictAction.TempFail), (Tag, VerdictAction.Tag) }
            .Where(band => band.Threshold is { } threshold && score >= threshold)
            .OrderByDescending(band => band.Threshold)
            .Select(band => band.Action)
            .DefaultIfEmpty(VerdictAction.Accept)
            .First();
}

/// <summary>One policy group: who is in it, and the thresholds that differ from actions.yaml's (unset ones are inherited).</summary>
public sealed class PolicyGroup
{
    public const string Default = Pipeline.Envelope.DefaultPolicyGroup;

    public string Name { get; init; } = string.Empty;

    /// <summary>Recipient domains (example.test) and addresses (ceo@example.test); an address beats its domain.</summary>
    public List<string> Recipients { get; init; } = [];

    public double? Tag { get; init; }

    public double? Quarantine { get; init; }

    public double? SoftReject { get; init; }

    public double? Reject { get; init; }

    public ActionThresholds Over(ActionThresholds defaults) => new()
    {
        Tag = Tag ?? defaults.Tag,
        Quarantine = Quarantine ?? defaults.Quarantine,
        SoftReject = SoftReject ?? defaults.SoftReject,
        Reject = Reject ?? defaults.Reject,
    };

    internal void Validate(ConfigErrors errors, string path, ActionThresholds defaults)
    {
        errors.Require(Name.Length > 0 && Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'), $"{path}.name", "letters, digits, _ and - (rules test it as policy.group)");
        errors.Require(Recipients.Count > 0, $"{path}.recipients", "list the domains or addresses in this group");
        for (var i = 0; i < Recipients.Count; i++)
        {
            var recipient = Recipients[i];
            var domain = recipient[(recipient.LastIndexOf('@') + 1)..];
            errors.Require(Uri.CheckHostName(domain) == UriHostNameType.Dns, $"{path}.recipients.{i}", $"'{recipient}' is neither a domain nor an address");
        }

        var own = Over(defaults);
        errors.Require(own.Reject > own.Tag, $"{path}.reject", $"must be above the group's tag threshold ({own.Tag})");
        errors.Require(own.Quarantine is null || (own.Quarantine >= own.Tag && own.Quarantine < own.Reject), $"{path}.quarantine", "must be between the group's tag and reject thresholds");
        errors.Require(own.SoftReject is null || (own.SoftReject >= own.Tag && own.SoftReject < own.Reject && own.SoftReject != own.Quarantine), $"{path}.soft_reject", "must be between the group's tag and reject thresholds, and differ from its quarantine threshold");
    }
}

public enum CheckErrorFallback
{
    Accept,
    Tempfail,
}
