using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Authentication.Dmarc;

/// <summary>
/// DMARC after SPF, DKIM and ARC. A failure with p=reject is refused in-session and p=quarantine is
/// tagged, unless enforcement is off, the domain is on the local override list, or a trusted ARC sealer
/// vouches that DMARC passed before it forwarded the message.
/// </summary>
public sealed class DmarcCheck(DmarcEvaluator evaluator, AuthenticationOptions options) : IMessageCheck, IStartsLookupsEarly
{
    /// <summary>The _dmarc records of the From domains, asked while SPF, DKIM and ARC run.</summary>
    public void StartLookups(MessageContext message) => evaluator.StartLookups(message.Message);

    public string Name => "dmarc";

    public IReadOnlyList<string> DependsOn => ["spf", "dkim", "arc"];

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var auth = message.Authentication;
        var outcome = await evaluator.EvaluateAsync(message.Message, message.Envelope.From, auth.Spf, auth.Dkim ?? [], cancellationToken);
        auth.Dmarc = outcome;
        var detail = $"{outcome.FromDomain}: {Describe(outcome)}";
        switch (outcome.Result)
        {
            case AuthResult.Pass:
                message.Add(new SymbolHit("DMARC_PASS", 1.0, detail));
                return CheckStatus.Completed;
            case AuthResult.None:
                message.Add(new SymbolHit("DMARC_NONE", 1.0, detail));
                return CheckStatus.Completed;
            case AuthResult.TempError:
                message.Add(new SymbolHit("DMARC_TEMPERROR", 1.0, detail));
                return CheckStatus.Completed;
            case AuthResult.PermError when outcome.TooManyAuthorDomains:
                // Refused rather than scored: otherwise listing enough domains after a p=reject one would be a
                // way around its policy (DmarcEvaluator.MaxAuthorDomains).
                message.Add(new SymbolHit("DMARC_TOO_MANY_FROM", 1.0, outcome.Reason));
                if (options.Dmarc.Enforce)
                {
                    message.Force(new ForcedAction(VerdictAction.Reject, "dmarc", $"Message rejected: {outcome.Reason}"));
                }

                return CheckStatus.Completed;
            case AuthResult.PermError:
                message.Add(new SymbolHit("DMARC_BAD_FROM", 1.0, outcome.Reason));
                return CheckStatus.Completed;
        }

        var policy = outcome.EffectivePolicy;
        message.Add(new SymbolHit($"DMARC_POLICY_{policy.ToString().ToUpperInvariant()}", 1.0, detail));
        if (policy == DmarcPolicy.None || !options.Dmarc.Enforce || options.Dmarc.IsIgnored(outcome.FromDomain))
        {
            return CheckStatus.Completed;
        }

        if (auth.Arc is { Result: AuthResult.Pass, SealedDmarcPass: true } arc && options.Arc.IsTrusted(arc.LastSealer))
        {
            message.Add(new SymbolHit("ARC_TRUSTED_RESCUE", 1.0, $"{arc.LastSealer} sealed a DMARC pass"));
            return CheckStatus.Completed;
        }

        message.Force(policy == DmarcPolicy.Reject
            ? new ForcedAction(VerdictAction.Reject, "dmarc", $"Message rejected: the DMARC policy of {outcome.FromDomain} rejects mail that fails authentication")
            : new ForcedAction(VerdictAction.Tag, "dmarc", $"DMARC policy of {outcome.FromDomain} is quarantine"));
        return CheckStatus.Completed;
    }

    private static string Describe(DmarcOutcome outcome) =>
        outcome.Result == AuthResult.Fail
            ? $"p={outcome.RequestedPolicy.ToString().ToLowerInvariant()}{(outcome.Testing ? " t=y" : string.Empty)} at {outcome.PolicyDomain}; {outcome.Reason}"
            : outcome.Reason ?? (outcome.SpfAligned ? "SPF aligned" : "DKIM aligned");
}
