using Gateway.Core.Authentication;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Learning;
using Gateway.Core.Pipeline;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using Gateway.Core.State;
using MimeKit;

namespace Gateway.Core.Tests.Learning;

/// <summary>What autolearn takes from the gateway's own verdicts, with the shipped policy.</summary>
public sealed class AutolearnTests
{
    private static readonly ScoringPolicy Shipped = ScoringPolicy.LoadFolder(Path.Combine(RepositoryRoot.Path, "rules"));

    private static ScanResult Scan(bool dmarcPass, IReadOnlyList<ForcedAction>? forced = null, params (string Symbol, double Factor)[] symbols)
    {
        var raw = SiteLearningTests.Mail("news@shop.test", "your order", "your order has shipped");
        var context = new MessageContext { SessionId = "t", Envelope = Envelope.Offline, RawMessage = raw, Message = MimeMessage.Load(new MemoryStream(raw)) };
        Shipped.Lend(context);
        if (dmarcPass)
        {
            context.Authentication.Dmarc = new DmarcOutcome(AuthResult.Pass, "shop.test");
        }

        var hits = symbols.Select(symbol => new SymbolHit(symbol.Symbol, symbol.Factor)).ToList();
        return new ScanResult(context, ScoreCalculator.Decide(hits, forced ?? [], Shipped), Shipped, []);
    }

    [Fact]
    public void Ham_needs_dmarc_pass_and_an_allow_list_and_an_accept()
    {
        Assert.False(Autolearn.Decide(Scan(dmarcPass: true, null, ("DMARC_PASS", 1), ("DNSWL_MED", 1))));
        Assert.Null(Autolearn.Decide(Scan(dmarcPass: true, null, ("DMARC_PASS", 1))));
        Assert.Null(Autolearn.Decide(Scan(dmarcPass: false, null, ("DNSWL_HI", 1))));
        Assert.Null(Autolearn.Decide(Scan(dmarcPass: true, null, ("DMARC_PASS", 1), ("DNSWL_MED", 1), ("ML_SPAM", 1), ("HTML_ATTACHMENT", 1)))); // tagged: not sure
    }

    [Fact]
    public void Spam_needs_a_reject_that_stands_without_the_classifiers()
    {
        Assert.True(Autolearn.Decide(Scan(dmarcPass: false, null, ("SPAMHAUS_ZEN_XBL", 1), ("SPAMHAUS_DBL_PHISH", 1))));
        Assert.True(Autolearn.Decide(Scan(dmarcPass: false, [new ForcedAction(VerdictAction.Reject, "DMARC_POLICY_REJECT", "550 5.7.1 DMARC")], ("DMARC_POLICY_REJECT", 1))));
        // The classifiers (capped at 6) with a list hit reach reject, but without them it would not: not learned.
        Assert.Null(Autolearn.Decide(Scan(dmarcPass: false, null, ("ML_SPAM", 1), ("SITE_SPAM", 1), ("SPAMHAUS_ZEN_XBL", 1))));
    }

    [Fact]
    public async Task Autolearn_stops_at_its_hourly_allowance()
    {
        var state = new MemoryStateStore(TimeProvider.System);
        var store = new MemorySiteTokenStore();
        var options = new Core.Configuration.LearningOptions { Autolearn = new() { Enabled = true, MaxPerHour = 2 } };
        var autolearn = new Autolearn(new SiteLearner(store, options, TimeProvider.System), state, options.Autolearn, TimeProvider.System);
        var outcomes = new List<LearnOutcome?>();
        for (var i = 0; i < 3; i++)
        {
            var raw = SiteLearningTests.Mail($"x@list{i}.test", $"spam {i}", $"listed spam {i}");
            var message = SiteLearner.Describe(MimeMessage.Load(new MemoryStream(raw)), raw, true, Autolearn.Source, $"?list{i}.test", null, CancellationToken.None);
            outcomes.Add(await autolearn.LearnAsync(message, CancellationToken.None));
        }

        Assert.Equal([LearnOutcome.Learned, LearnOutcome.Learned, null], outcomes);
    }
}
