using Gateway.Core.Authentication.Spf;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Dns;
using Gateway.Core.Reputation;
using Gateway.Core.Scoring;

namespace Gateway.Smtp.Phases;

/// <summary>
/// The connect-, MAIL- and RCPT-phase checks, in the order they run: the first that does not continue answers the
/// client. After the RCPT checks the recipient is mirrored to the downstream (its answer is the last
/// word). Adding a check is its class and one line in <see cref="Standard"/>; docs/architecture.md has
/// the table of phases.
/// </summary>
internal sealed class DialogueChecks
{
    private readonly IReadOnlyList<IConnectCheck> connect;
    private readonly IReadOnlyList<ISenderCheck> sender;
    private readonly IReadOnlyList<IRecipientCheck> recipient;

    /// <summary>The checks of each phase in their order; an order that runs a check before one it depends on is refused here, at start-up.</summary>
    public DialogueChecks(IReadOnlyList<IConnectCheck> connect, IReadOnlyList<ISenderCheck> sender, IReadOnlyList<IRecipientCheck> recipient)
    {
        RequireOrder("MAIL", sender, check => check.DependsOn);
        RequireOrder("RCPT", recipient, check => check.DependsOn);
        (this.connect, this.sender, this.recipient) = (connect, sender, recipient);
    }

    private static void RequireOrder<TCheck>(string phase, IReadOnlyList<TCheck> checks, Func<TCheck, IReadOnlyList<string>> dependsOn)
        where TCheck : IDialogueCheck
    {
        var before = new HashSet<string>(StringComparer.Ordinal);
        foreach (var check in checks)
        {
            if (dependsOn(check).FirstOrDefault(name => !before.Contains(name)) is { } missing)
            {
                var where = checks.Any(other => other.Name == missing) ? "is registered after it" : "is not registered";
                throw new InvalidOperationException($"{phase} check {check.Name} depends on {missing}, which {where}: register {missing} first");
            }

            before.Add(check.Name);
        }
    }

    public static DialogueChecks Standard(GatewayOptions options, IDownstream downstream, SpfEvaluator? spf, IDnsResolver? dns, Func<ScoringPolicy> policy, IDnsListMonitor? dnsLists, Core.SenderLists.ISenderLists senderLists, SharedStateChecks? sharedState, Admission.MessageMemoryBudget? memory = null)
    {
        List<IConnectCheck> atConnect = [];
        if (dns is not null)
        {
            atConnect.Add(new DnsListAtConnectCheck(dns, policy, dnsLists));
        }

        List<ISenderCheck> atMail = [new DeclaredSizeCheck(options.Limits, memory), new MailParametersCheck(options.Limits), new SenderAddressCheck()];
        List<IRecipientCheck> atRcpt =
        [
            new RelayCheck(options),
            new RoutingCharactersCheck(options),
            new RecipientAddressCheck(),
            new RecipientLimitCheck(options.Limits),
            new PolicyGroupCheck(policy),
            new SpamTrapCheck(options.Fuzzy),
            new SenderListCheck(senderLists),
            new DownstreamRouteCheck(downstream),
        ];
        if (dns is not null)
        {
            atRcpt.Add(new DnsListAtRcptCheck(dns, policy, dnsLists));
        }

        if (sharedState is not null)
        {
            // Greylisting and rate limits last, just before the downstream hears of the recipient.
            atMail.Add(sharedState);
            atRcpt.Add(sharedState);
        }

        if (spf is not null)
        {
            atMail.Add(new SpfStartCheck(spf, options.Limits.CheckTimeout));
        }

        if (dns is not null)
        {
            atMail.Add(new ReverseDnsStartCheck(dns));
        }

        return new DialogueChecks(atConnect, atMail, atRcpt);
    }

    /// <summary>These checks and one more at the end of the RCPT phase.</summary>
    public DialogueChecks With(IRecipientCheck check) => new(connect, sender, [.. recipient, check]);

    /// <summary>Whether any check runs before the greeting (the admission listener skips the phase when none does).</summary>
    public bool HasConnectChecks => connect.Count > 0;

    /// <summary>The connect phase's answer and the name of the check that gave it (null: all continued).</summary>
    public async ValueTask<(DialogueOutcome Outcome, string? By)> AtConnectAsync(IPAddress client, CancellationToken cancellationToken)
    {
        var (answer, by) = await FirstAnswerAsync(connect, check => check.CheckAsync(client, cancellationToken));
        return (answer, by?.Name);
    }

    public async ValueTask<DialogueOutcome> AtMailAsync(SenderStep step, CancellationToken cancellationToken) =>
        (await FirstAnswerAsync(sender, check => check.CheckAsync(step, cancellationToken))).Answer;

    public async ValueTask<DialogueOutcome> AtRcptAsync(RecipientStep step, CancellationToken cancellationToken) =>
        (await FirstAnswerAsync(recipient, check => check.CheckAsync(step, cancellationToken))).Answer;

    /// <summary>Runs the checks in order until one does not continue: its answer and the check (null when all continued).</summary>
    private static async ValueTask<(DialogueOutcome Answer, TCheck? By)> FirstAnswerAsync<TCheck>(IReadOnlyList<TCheck> checks, Func<TCheck, ValueTask<DialogueOutcome>> run)
        where TCheck : class
    {
        foreach (var check in checks)
        {
            if (await run(check) is { IsContinue: false } answer)
            {
                return (answer, check);
            }
        }

        return (DialogueOutcome.Continue, null);
    }
}
