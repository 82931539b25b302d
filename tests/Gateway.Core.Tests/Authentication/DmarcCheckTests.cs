using Gateway.Core.Authentication;
using Gateway.Core.Authentication.Arc;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;
using Gateway.Core.Tests.Dns;
using MimeKit;

namespace Gateway.Core.Tests.Authentication;

public sealed class DmarcCheckTests
{
    private static async Task<MessageContext> RunAsync(string record, AuthenticationOptions options, ArcOutcome? arc = null)
    {
        var dns = new FakeDnsResolver().Txt("_dmarc.bank.test", record);
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("ceo@bank.test"));
        var context = new MessageContext { SessionId = "t", Envelope = Envelope.Offline, RawMessage = ReadOnlyMemory<byte>.Empty, Message = message };
        context.Authentication.Dkim = [];
        context.Authentication.Arc = arc ?? new ArcOutcome(AuthResult.None);
        await new DmarcCheck(new DmarcEvaluator(dns), options).RunAsync(context, CancellationToken.None);
        return context;
    }

    private static ArcOutcome SealedBy(string sealer) => new(AuthResult.Pass, 1, sealer, SealedDmarcPass: true);

    [Fact]
    public async Task P_reject_forces_a_reject_and_p_quarantine_a_tag()
    {
        var reject = await RunAsync("v=DMARC1; p=reject", new AuthenticationOptions());
        var quarantine = await RunAsync("v=DMARC1; p=quarantine", new AuthenticationOptions());

        Assert.Equal(VerdictAction.Reject, Assert.Single(reject.ForcedActions).Action);
        Assert.Contains(reject.Symbols, symbol => symbol.Name == "DMARC_POLICY_REJECT");
        Assert.Equal(VerdictAction.Tag, Assert.Single(quarantine.ForcedActions).Action);
    }

    [Fact]
    public async Task Enforcement_can_be_turned_off_globally_or_per_domain()
    {
        var off = await RunAsync("v=DMARC1; p=reject", new AuthenticationOptions { Dmarc = new DmarcOptions { Enforce = false } });
        var ignored = await RunAsync("v=DMARC1; p=reject", new AuthenticationOptions { Dmarc = new DmarcOptions { IgnorePolicyDomains = ["BANK.test"] } });

        Assert.Empty(off.ForcedActions);
        Assert.Empty(ignored.ForcedActions);
        Assert.Contains(off.Symbols, symbol => symbol.Name == "DMARC_POLICY_REJECT");
    }

    [Fact]
    public async Task Arc_rescues_a_dmarc_failure_only_for_a_trusted_sealer()
    {
        var options = new AuthenticationOptions { Arc = new ArcOptions { TrustedSealers = ["lists.example.test"] } };

        var trusted = await RunAsync("v=DMARC1; p=reject", options, SealedBy("lists.example.test"));
        var untrusted = await RunAsync("v=DMARC1; p=reject", options, SealedBy("forwarder.evil.test"));
        var brokenChain = await RunAsync("v=DMARC1; p=reject", options, new ArcOutcome(AuthResult.Fail, 1, "lists.example.test", SealedDmarcPass: true));

        Assert.Empty(trusted.ForcedActions);
        Assert.Contains(trusted.Symbols, symbol => symbol.Name == "ARC_TRUSTED_RESCUE");
        Assert.Equal(VerdictAction.Reject, Assert.Single(untrusted.ForcedActions).Action);
        Assert.Equal(VerdictAction.Reject, Assert.Single(brokenChain.ForcedActions).Action);
    }

    [Fact]
    public async Task A_from_of_more_domains_than_evaluated_is_refused_while_dmarc_is_enforced()
    {
        async Task<MessageContext> RunManyAsync(AuthenticationOptions options)
        {
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("ceo@bank.test"));
            message.From.AddRange(Enumerable.Range(1, 50).Select(i => MailboxAddress.Parse($"a@x{i}.test")));
            var context = new MessageContext { SessionId = "t", Envelope = Envelope.Offline, RawMessage = ReadOnlyMemory<byte>.Empty, Message = message };
            context.Authentication.Dkim = [];
            await new DmarcCheck(new DmarcEvaluator(new FakeDnsResolver().Txt("_dmarc.bank.test", "v=DMARC1; p=reject")), options).RunAsync(context, CancellationToken.None);
            return context;
        }

        var enforced = await RunManyAsync(new AuthenticationOptions());
        var notEnforced = await RunManyAsync(new AuthenticationOptions { Dmarc = new DmarcOptions { Enforce = false } });

        var refusal = Assert.Single(enforced.ForcedActions);
        Assert.Equal(VerdictAction.Reject, refusal.Action);
        Assert.Contains("the From field names 51 domains; at most 5 are evaluated", refusal.Reason, StringComparison.Ordinal);
        Assert.Contains(enforced.Symbols, symbol => symbol.Name == "DMARC_TOO_MANY_FROM");
        Assert.Empty(notEnforced.ForcedActions);
        Assert.Contains(notEnforced.Symbols, symbol => symbol.Name == "DMARC_TOO_MANY_FROM");
    }

    [Fact]
    public void A_forced_reject_beats_a_low_score_and_a_forced_tag_lifts_accept()
    {
        var policy = new ScoringPolicy(new ActionsFile(), new SymbolsFile());

        var rejected = ScoreCalculator.Decide([], [new ForcedAction(VerdictAction.Reject, "dmarc", "no")], policy);
        var tagged = ScoreCalculator.Decide([], [new ForcedAction(VerdictAction.Tag, "dmarc", "q")], policy);

        Assert.Equal((VerdictAction.Reject, "no", "dmarc"), (rejected.Action, rejected.Reason, rejected.ForcedBy));
        Assert.Equal(VerdictAction.Tag, tagged.Action);
    }
}
