using Gateway.Core.Pipeline;

namespace Gateway.Core.Rules;

/// <summary>
/// The rule set a message is judged with: the policy snapshot's, put on the context once by whoever scans it,
/// so a reload in the middle of a message never splits its rules (the scanner, through ScoringPolicy.Lend).
/// </summary>
public static class MessageRules
{
    private static readonly MessageSlot<RuleSet> Slot = new();

    extension(MessageContext context)
    {
        /// <summary>The rules of this message's policy snapshot; none when nobody lent one (a bare context in a test).</summary>
        public RuleSet Rules => context.Get(Slot) ?? RuleSet.Empty;

        public void UseRules(RuleSet rules) => context.Set(Slot, rules);
    }
}
