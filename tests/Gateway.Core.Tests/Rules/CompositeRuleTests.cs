using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Rules;
using Gateway.Core.Scoring;
using MimeKit;

namespace Gateway.Core.Tests.Rules;

/// <summary>Rules that test other symbols (composites): evaluated after what they name, whatever the file order; names checked at load.</summary>
public sealed class CompositeRuleTests
{
    private static string Folder(params (string Name, string Text)[] files)
    {
        var folder = Directory.CreateTempSubdirectory("rules-").FullName;
        File.WriteAllText(Path.Combine(folder, "actions.yaml"), "actions:\n  tag: 6\n  reject: 15\n");
        File.WriteAllText(Path.Combine(folder, "symbols.yaml"), "groups:\n  content: {max_score: 3}\nsymbols:\n  RATELIMIT_SENDER: {weight: 1}\n");
        foreach (var (name, text) in files)
        {
            File.WriteAllText(Path.Combine(folder, name), text);
        }

        return folder;
    }

    private static async Task<MessageContext> RunAsync(ScoringPolicy policy, string subject)
    {
        var raw = $"From: a@remote.test\r\nSubject: {subject}\r\n\r\nbody\r\n";
        var context = new MessageContext
        {
            SessionId = "t",
            Envelope = Envelope.Offline,
            RawMessage = Encoding.ASCII.GetBytes(raw),
            Message = await MimeMessage.LoadAsync(new MemoryStream(Encoding.ASCII.GetBytes(raw))),
        };
        policy.Lend(context);
        await new RulesCheck([]).RunAsync(context, CancellationToken.None);
        return context;
    }

    [Fact]
    public async Task A_composite_written_before_the_rules_it_names_still_sees_them()
    {
        // a.rules.yaml loads first, and the composite is its first rule; the rule it names is in z.rules.yaml.
        var policy = ScoringPolicy.LoadFolder(Folder(
            ("a.rules.yaml", "rules:\n  - name: BOTH\n    when: {symbol: {in: [FIRST]}}\n    score: 1\n  - name: SECOND_OF_BOTH\n    when: {all: [{symbol: {equals: BOTH}}, {symbol: {equals: LATE}}]}\n    score: 1\n"),
            ("z.rules.yaml", "rules:\n  - name: FIRST\n    when: {subject: {contains: bait}}\n    score: 1\n  - name: LATE\n    when: {subject: {contains: bait}}\n    score: 1\n")));

        var context = await RunAsync(policy, "bait");

        Assert.Equal(["FIRST", "LATE", "BOTH", "SECOND_OF_BOTH"], context.Symbols.Select(symbol => symbol.Name));
    }

    [Fact]
    public void A_reference_to_a_symbol_nothing_reports_fails_with_its_position()
    {
        var folder = Folder(("x.rules.yaml", "rules:\n  - name: TYPO\n    when:\n      symbol: {in: [SPF_FAIL, DKIM_INVALIDD]}\n    score: 1\n"));

        var error = Assert.Throws<ConfigException>(() => ScoringPolicy.LoadFolder(folder)).Message;

        Assert.StartsWith($"{Path.Combine(folder, "x.rules.yaml")}:4:31: rule TYPO tests symbol DKIM_INVALIDD", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Symbols_of_checks_lists_symbols_yaml_and_rules_are_all_known()
    {
        var folder = Folder(("x.rules.yaml", "rules:\n  - name: OK\n    when: {symbol: {in: [SPF_FAIL, ML_SPAM, RATELIMIT_SENDER, OTHER]}}\n    score: 1\n  - name: OTHER\n    when: {subject: {contains: x}}\n    score: 1\n"));

        Assert.Equal(2, ScoringPolicy.LoadFolder(folder).Rules.Rules.Count);
    }

    [Fact]
    public void Composites_naming_each_other_in_a_ring_are_refused()
    {
        var folder = Folder(("x.rules.yaml", "rules:\n  - name: A\n    when: {symbol: {equals: B}}\n    score: 1\n  - name: B\n    when: {symbol: {equals: A}}\n    score: 1\n"));

        Assert.Contains("ring of composites", Assert.Throws<ConfigException>(() => ScoringPolicy.LoadFolder(folder)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_group_caps_its_rules_scores_together()
    {
        var policy = ScoringPolicy.LoadFolder(Folder(("x.rules.yaml", "rules:\n  - name: R1\n    group: content\n    when: {subject: {contains: x}}\n    score: 2\n  - name: R2\n    group: content\n    when: {subject: {contains: x}}\n    score: 2\n")));

        var context = await RunAsync(policy, "x");

        Assert.Equal(3.0, ScoreCalculator.Decide(context.Symbols, policy).Score);
    }

    [Fact]
    public void A_rule_naming_an_undefined_group_fails_with_its_position()
    {
        var folder = Folder(("x.rules.yaml", "rules:\n  - name: R1\n    group: contnet\n    when: {subject: {contains: x}}\n    score: 2\n"));

        Assert.StartsWith($"{Path.Combine(folder, "x.rules.yaml")}:3:12: rule R1 names group 'contnet'", Assert.Throws<ConfigException>(() => ScoringPolicy.LoadFolder(folder)).Message, StringComparison.Ordinal);
    }
}
