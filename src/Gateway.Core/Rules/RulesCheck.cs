using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

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
        var rules = message.Policy?.Rules ?? RuleSet.Empty;
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
                message.Force(new ForcedAction(action, $"rule {rule.Name}", ReplyOf(rule, action), CodeOf(rule)));
            }
        }

        return ValueTask.FromResult(CheckStatus.Completed);
    }

    /// <summary>A basic code the reply starts with ("554 5.7.1 ..."), else null (the action's usual code).</summary>
    private static int? CodeOf(Rule rule) =>
        rule.Reply is { Length: > 4 } reply && reply[3] == ' ' && int.TryParse(reply.AsSpan(0, 3), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) && code is >= 400 and <= 599 ? code : null;

    /// <summary>The operator's reply text, or a default naming the rule; an enhanced code is added if missing.</summary>
    private static string ReplyOf(Rule rule, VerdictAction action)
    {
        var text = rule.Reply ?? action switch
        {
            VerdictAction.TempFail => $"Message deferred by policy ({rule.Name})",
            VerdictAction.Quarantine => $"Held for review by policy ({rule.Name})",
            _ => $"Message rejected by policy ({rule.Name})",
        };
        text = CodeOf(rule) is null ? text : text[4..];
        var hasCode = text.Length > 6 && char.IsAsciiDigit(text[0]) && text[1] == '.';
        return hasCode ? text[(text.IndexOf(' ') + 1)..] : text;
    }
}
