using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Rules;
using MimeKit;

namespace Gateway.Core.Tests.Rules;

/// <summary>The lookalike_of operator: domains made to be read as one of ours, and the ones that are simply others.</summary>
public sealed class LookalikeTests
{
    private static bool LooksLikeOurs(string domain)
    {
        var folder = Directory.CreateTempSubdirectory("rules-").FullName;
        File.WriteAllText(Path.Combine(folder, "ours.txt"), "contoso.example\n");
        File.WriteAllText(Path.Combine(folder, "x.rules.yaml"), "rules:\n  - name: R\n    when: {from.domain: {lookalike_of: ours.txt}}\n    score: 1\n");
        var rule = RuleSetLoader.LoadFolder(folder).Rules[0];
        var raw = $"From: a@{domain}\r\nSubject: s\r\n\r\nbody\r\n";
        var context = new MessageContext { SessionId = "t", Envelope = Envelope.Offline, RawMessage = Encoding.UTF8.GetBytes(raw), Message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(raw))) };
        return rule.When(new MessageView(context));
    }

    [Theory]
    [InlineData("c0ntoso.example")]
    [InlineData("contoso.exarnple")]
    [InlineData("contos0.exampie")]
    [InlineData("cotnoso.example")]
    [InlineData("xn--contos-1qf.example")]
    public void Lookalikes_of_our_domain_match(string domain) => Assert.True(LooksLikeOurs(domain));

    [Theory]
    [InlineData("contoso.example")]
    [InlineData("fabrikam.example")]
    [InlineData("contoso-mail.net")]
    public void Our_own_and_unrelated_domains_do_not(string domain) => Assert.False(LooksLikeOurs(domain));
}
