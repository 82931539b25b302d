using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Rules;
using Gateway.Core.Scoring;
using MimeKit;
using Gateway.Core.Authentication;

namespace Gateway.Core.Tests.Rules;

public sealed class RuleEngineTests
{
    private static string Folder(string rules, params (string Name, string Text)[] extra)
    {
        var folder = Directory.CreateTempSubdirectory("rules-").FullName;
        File.WriteAllText(Path.Combine(folder, "test.rules.yaml"), rules);
        foreach (var (name, text) in extra)
        {
            File.WriteAllText(Path.Combine(folder, name), text);
        }

        return folder;
    }

    private static RuleSet Load(string rules, params (string Name, string Text)[] extra) => RuleSetLoader.LoadFolder(Folder(rules, extra));

    private static string Error(string rules) => Assert.Throws<ConfigException>(() => Load(rules)).Message;

    private static MessageContext Message(string raw, Envelope? envelope = null) => new()
    {
        SessionId = "t",
        Envelope = envelope ?? new Envelope(IPAddress.Parse("192.0.2.7"), "mail.remote.test", "bounce@remote.test", ["user@example.test"]),
        RawMessage = Encoding.UTF8.GetBytes(raw),
        Message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw.ReplaceLineEndings("\r\n")))),
    };

    private static bool Matches(string when, string raw, params (string Name, string Text)[] extra)
    {
        var rules = Load($"rules:\n  - name: R\n    when: {when}\n    score: 1\n", extra);
        return rules.Rules[0].When(new MessageView(Message(raw)));
    }

    private const string Sample = "From: \"Boss\" <boss@company.test>\nReply-To: boss@gmail.com\nTo: user@example.test\nSubject: Invoice 42 overdue\nX-Mailer: Mass Mailer 5\n\nPlease pay at https://pay.evil.test/x now.\n";

    [Theory]
    [InlineData("{subject: {equals: 'invoice 42 overdue'}}", true)]
    [InlineData("{subject: {contains: OVERDUE}}", true)]
    [InlineData("{subject: {starts_with: invoice}}", true)]
    [InlineData("{subject: {ends_with: paid}}", false)]
    [InlineData("{subject: {matches: 'invoice \\d+'}}", true)]
    [InlineData("{subject: {matches_case: 'invoice \\d+'}}", false)]
    [InlineData("{from.domain: {in: [company.test, other.test]}}", true)]
    [InlineData("{reply_to.domain: {equals: gmail.com}}", true)]
    [InlineData("{header.X-Mailer: {contains: mass}}", true)]
    [InlineData("{header.X-Missing: {exists: false}}", true)]
    [InlineData("{header.X-Mailer: {exists: true}}", true)]
    [InlineData("{url.domain: {equals: pay.evil.test}}", true)]
    [InlineData("{body.text: {contains: 'pay at'}}", true)]
    [InlineData("{message.size: {gt: 10, lt: 100000}}", true)]
    [InlineData("{message.size: {lt: 10}}", false)]
    [InlineData("{connection.ip: {cidr: [192.0.2.0/24]}}", true)]
    [InlineData("{connection.ip: {cidr: 198.51.100.0/24}}", false)]
    [InlineData("{envelope.from.domain: {equals: remote.test}}", true)]
    [InlineData("{envelope.rcpt.domain: {equals: example.test}}", true)]
    [InlineData("{helo: {ends_with: .remote.test}}", true)]
    [InlineData("{all: [{subject: {contains: invoice}}, {from.name: {equals: boss}}]}", true)]
    [InlineData("{any: [{subject: {contains: nothing}}, {from.name: {equals: boss}}]}", true)]
    [InlineData("{not: {subject: {contains: invoice}}}", false)]
    public void Operators_and_combinators(string when, bool expected) => Assert.Equal(expected, Matches(when, Sample));

    [Fact]
    public void Attachment_size_and_count_and_reverse_dns_are_fields()
    {
        const string raw = "From: a@remote.test\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhi\n--b\nContent-Type: application/pdf; name=a.pdf\nContent-Disposition: attachment; filename=a.pdf\nContent-Transfer-Encoding: base64\n\nAAAAAAAAAAAAAAAA\n--b--\n";
        var rules = Load("rules:\n  - name: BIG\n    when: {attachment.size: {equals: 12}}\n    score: 1\n  - name: ONE\n    when: {attachment.count: {equals: 1}}\n    score: 1\n  - name: RDNS\n    when: {connection.rdns: {ends_with: .remote.test}}\n    score: 1\n");
        var envelope = new Envelope(IPAddress.Parse("192.0.2.7"), "mail.remote.test", "a@remote.test", ["user@example.test"]) { ReverseName = "mx1.remote.test" };
        var view = new MessageView(Message(raw, envelope));

        Assert.All(rules.Rules, rule => Assert.True(rule.When(view), rule.Name));
    }

    [Fact]
    public void List_files_are_read_relative_to_the_rules_folder() =>
        Assert.True(Matches("{reply_to.domain: {in_list: free.txt}}", Sample, ("free.txt", "# free mail\ngmail.com\n")));

    [Fact]
    public void A_hostile_pattern_against_a_hostile_input_does_not_hang()
    {
        // Catastrophic backtracking for a backtracking engine; linear for NonBacktracking.
        var hostile = "Subject: " + new string('a', 50_000) + "!\n\nx\n";

        Assert.False(Matches("{subject: {matches: '^(a+)+$'}}", hostile));
    }

    [Fact]
    public void A_pattern_that_needs_backtracking_runs_with_a_timeout()
    {
        // A backreference forces the backtracking engine; the match timeout keeps it bounded.
        var hostile = "Subject: " + new string('a', 30_000) + "\n\nx\n";

        Assert.False(Matches("{subject: {matches: '^(a|aa)+(\\1)b$'}}", hostile));
    }

    [Theory]
    [InlineData("rules:\n  - name: R\n    when: {subjet: {equals: x}}\n    score: 1\n", ":3:12: unknown field 'subjet'")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {equal: x}}\n    score: 1\n", ":3:22: operator 'equal' does not apply")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {matches: '(unclosed'}}\n    score: 1\n", ":3:31: bad regular expression")]
    [InlineData("rules:\n  - name: R\n    when: {message.size: {gt: big}}\n    score: 1\n", ":3:31: expected a number")]
    [InlineData("rules:\n  - name: lower\n    when: {subject: {equals: x}}\n    score: 1\n", ":2:11: a rule needs a name")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {equals: x}}\n", ":2:5: rule R needs a score, an action, or both")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {equals: x}}\n    score: 1\n    colour: red\n", ":5:5: unknown key 'colour'")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {equals: x}}\n    action: explode\n", ":4:13: unknown action 'explode'")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {equals: x}}\n    score: 1\n  - name: R\n    when: {subject: {equals: y}}\n    score: 2\n", ":5:11: rule R is already defined at")]
    [InlineData("rules:\n  - name: R\n    when: {connection.ip: {cidr: 10.0.0.0/99}}\n    score: 1\n", ":3:34: '10.0.0.0/99' is not a network")]
    [InlineData("rules:\n  - name: R\n    when: {reply_to.domain: {in_list: nope.txt}}\n    score: 1\n", ":3:39: list file")]
    [InlineData("rules: [\n", ":2:1: not valid YAML")]
    [InlineData("rules:\n  - name: R\n    when:\n      attachment.extension: {in: [exe, scr]\n    score: 1\n", ":5:5: not valid YAML")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {in: [a, b}}\n    score: 1\n", ":3:")]
    [InlineData("", ":1:1: the file is empty")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {equals: x}}\n    action: reject\n    reply: '451 4.7.1 later'\n", ":5:12: reply code 451 does not fit the action (a reject takes 5xx)")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {equals: x}}\n    action: tempfail\n    reply: '451 5.7.1 later'\n", ":5:12: enhanced status code 5.7.1 does not fit reply code 451")]
    [InlineData("rules:\n  - name: R\n    when: {subject: {equals: x}}\n    action: reject\n    reply: '554 5.7.9'\n", ":5:12: reply needs a text after its codes")]
    public void Mistakes_are_reported_with_file_line_and_column(string rules, string expected)
    {
        var message = Error(rules);

        Assert.Contains("test.rules.yaml" + expected, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_mistake_is_reported_at_once()
    {
        var message = Error("rules:\n  - name: A\n    when: {bogus: {equals: x}}\n    score: 1\n  - name: B\n    when: {subject: {nope: x}}\n    score: 1\n");

        Assert.Equal(2, message.Split('\n').Length);
    }

    [Fact]
    public async Task Matching_rules_add_their_symbol_with_their_score_and_force_their_action()
    {
        var folder = Folder("rules:\n  - name: BAD_SUBJECT\n    description: bad\n    when: {subject: {contains: invoice}}\n    score: 2.5\n  - name: BLOCK\n    when: {reply_to.domain: {equals: gmail.com}}\n    action: reject\n    reply: \"5.7.1 No thanks\"\n");
        File.WriteAllText(Path.Combine(folder, "actions.yaml"), "actions: {tag: 6, reject: 15}\n");
        File.WriteAllText(Path.Combine(folder, "symbols.yaml"), "symbols: {}\n");
        var policy = ScoringPolicy.LoadFolder(folder);
        var context = new MessageContext
        {
            SessionId = "t", Envelope = Envelope.Offline, RawMessage = Encoding.UTF8.GetBytes(Sample),
            Message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(Sample))),
        };
        policy.Lend(context);

        await new RulesCheck([]).RunAsync(context, CancellationToken.None);
        var verdict = ScoreCalculator.Decide(context.Symbols, context.ForcedActions, policy);

        Assert.Equal(VerdictAction.Reject, verdict.Action);
        Assert.Equal("No thanks", verdict.Reason);
        Assert.Equal(2.5, verdict.Symbols.Single(symbol => symbol.Name == "BAD_SUBJECT").Score);
    }

    [Theory]
    [InlineData("d=gardenstore.example", null, true)] // offline: a signature of the From organisation is present
    [InlineData("d=esp.example", null, false)] // signed, but by somebody else
    [InlineData("d=gardenstore.example", "fail", false)] // with DNS: it must verify
    [InlineData("d=gardenstore.example", "pass", true)]
    public void Dkim_aligned_is_a_signature_of_the_from_organisation_verified_when_dkim_ran(string tag, string? verified, bool expected)
    {
        var rules = Load("rules:\n  - name: R\n    when: {dkim.aligned: {equals: true}}\n    score: 1\n");
        var context = Message($"From: Garden <news@mail.gardenstore.example>\nDKIM-Signature: v=1; a=rsa-sha256; {tag}; s=s1;\n h=from; bh=AAAA; b=BBBB\nSubject: bulbs\n\nTulips.\n");
        if (verified is not null)
        {
            context.Authentication.Dkim = [new Gateway.Core.Authentication.Dkim.DkimSignatureResult(Enum.Parse<Gateway.Core.Authentication.AuthResult>(verified, ignoreCase: true), tag[2..], "s1", "rsa-sha256")];
        }

        Assert.Equal(expected, rules.Rules[0].When(new MessageView(context)));
    }

    [Theory]
    [InlineData("Williams Sonoma", "news@e.williams-sonoma.com", true)] // the organisation's label inside the name
    [InlineData("Reolink", "news@mail.reolinksupport.com", true)] // a distinctive word of the name inside the label
    [InlineData("Microsoft Store", "store@microsoftstoreemail.com", true)]
    [InlineData("GLS", "noreply@gls-group.eu", true)] // the whole name, 3 letters, inside the label
    [InlineData("Support Team", "help@reolinksupport.com", false)] // words every sender uses name no one
    [InlineData("Joints Healed", "joints_healed@ytiopti.example", false)] // a product's name on somebody else's domain
    [InlineData("Sam", "sam@samsonite.com", true)]
    [InlineData("", "news@shop.example", false)]
    public void From_name_matches_domain_when_the_display_name_names_the_senders_organisation(string name, string address, bool expected)
    {
        var rules = Load("rules:\n  - name: R\n    when: {from.name_matches_domain: {equals: true}}\n    score: 1\n");
        var context = Message($"From: \"{name}\" <{address}>\nSubject: news\n\nHello.\n");

        Assert.Equal(expected, rules.Rules[0].When(new MessageView(context)));
    }

    [Fact]
    public void The_shipped_rules_load()
    {
        var policy = ScoringPolicy.LoadFolder(Path.Combine(RepositoryRoot.Path, "rules"));

        Assert.True(policy.Rules.Rules.Count >= 15);
    }
}
