using Gateway.Core.Pipeline;

namespace Gateway.Core.Rules;

/// <summary>
/// Evaluates the message's rule set after every other check (rules may test their results and symbols).
/// A matching rule reports its name as a symbol and forces its action, if it has one.
/// </summary>
public sealed class RulesCheck(IReadOnlyList<string> runsAfter) : IMessageCheck
{
    public string Name => "rules";

    public IReadOnlyList<string> DependsOn => runsAfter;

    public ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var rules = message.Rules;
        if (rules.Rules.Count == 0)
        {
            return ValueTask.FromResult(CheckStatus.Skipped);
        }

        var view = new MessageView(message, rules.Brands);
        foreach (var rule in rules.Rules)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!rule.When(view))
            {
                continue;
            }

            message.Add(new SymbolHit(rule.Name, 1.0, rule.Description));
            if (rule.Action is { } action)
            {
                message.Force(new ForcedAction(action, $"rule {rule.Name}", ReasonOf(rule, action), ReplyOf(rule, action)));
            }
        }

        return ValueTask.FromResult(CheckStatus.Completed);
    }

    /// <summary>The reply the operator wrote (parsed at load), or one naming the rule with the action's usual codes.</summary>
    private static Pipeline.SmtpReply? ReplyOf(Rule rule, VerdictAction action) => rule.Reply ?? action switch
    {
        VerdictAction.Reject => new Pipeline.SmtpReply(550, "5.7.1", ReasonOf(rule, action)),
        VerdictAction.TempFail => new Pipeline.SmtpReply(451, "4.7.1", ReasonOf(rule, action)),
        _ => null,
    };

    private static string ReasonOf(Rule rule, VerdictAction action) => rule.Reply?.Text ?? action switch
    {
        VerdictAction.TempFail => $"Message deferred by policy ({rule.Name})",
        VerdictAction.Quarantine => $"Held for review by policy ({rule.Name})",
        _ => $"Message rejected by policy ({rule.Name})",
    };
}
