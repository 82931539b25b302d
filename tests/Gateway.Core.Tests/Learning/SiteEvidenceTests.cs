using Gateway.Core.Authentication;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Configuration;
using Gateway.Core.Learning;
using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;
using Gateway.Core.State;
using MimeKit;

namespace Gateway.Core.Tests.Learning;

/// <summary>How the site's evidence scores: the unsure zone between the cutoffs, and SITE_SENDER_HAM for authenticated senders only.</summary>
public sealed class SiteEvidenceTests
{
    private const string Ours = "gw.test";
    private static readonly ScoringPolicy Shipped = ScoringPolicy.LoadFolder(Path.Combine(RepositoryRoot.Path, "rules"));

    private static byte[] Newsletter(int i, bool authenticated = true) => SiteLearningTests.Mail(
        "news@shop.test", $"spring catalogue {i}", $"Our spring catalogue, edition {i}: garden tools and seeds",
        authenticated ? $"{Ours}; spf=pass smtp.mailfrom=news@shop.test; dmarc=pass header.from=shop.test" : null);

    private static async Task<IReadOnlyList<SymbolHit>> JudgeAsync(ISiteTokenStore store, byte[] raw, bool dmarcPass)
    {
        var context = new MessageContext { SessionId = "t", Envelope = Envelope.Offline, RawMessage = raw, Message = MimeMessage.Load(new MemoryStream(raw)) };
        Shipped.Lend(context);
        if (dmarcPass)
        {
            context.Authentication.Dmarc = new DmarcOutcome(AuthResult.Pass, "shop.test");
        }

        await new SiteEvidenceCheck(store, new LearningOptions { MinSpam = 5, MinHam = 5 }).RunAsync(context, CancellationToken.None);
        return context.Symbols;
    }

    private static async Task<(MemorySiteTokenStore Store, SiteLearner Learner)> SiteAsync()
    {
        var store = new MemorySiteTokenStore();
        var learner = new SiteLearner(store, new LearningOptions(), new ManualClock());
        await SiteLearningTests.TeachAsync(learner, 5);
        return (store, learner);
    }

    [Theory]
    [InlineData(0.85, "SITE_UNSURE", 0.0)]
    [InlineData(0.9, "SITE_UNSURE", 0.0)]
    [InlineData(0.95, "SITE_SPAM", 0.5)]
    [InlineData(1.0, "SITE_SPAM", 1.0)]
    [InlineData(0.5, "SITE_UNSURE", 0.0)]
    [InlineData(0.3, "SITE_UNSURE", 0.0)]
    [InlineData(0.1, "SITE_HAM", 0.5)]
    [InlineData(0.0, "SITE_HAM", 1.0)]
    public void Between_the_cutoffs_the_site_is_unsure_and_scores_nothing(double probability, string symbol, double factor)
    {
        var (name, value) = new SiteEvidenceCheck(new MemorySiteTokenStore(), new LearningOptions()).Score(probability);

        Assert.Equal(symbol, name);
        Assert.Equal(factor, value, 9);
    }

    [Fact]
    public async Task Three_authenticated_hams_from_one_sender_earn_sender_ham_and_the_same_from_unauthenticated_does_not()
    {
        var (store, learner) = await SiteAsync();
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(LearnOutcome.Learned, await learner.LearnRawAsync(Newsletter(i), false, "bob", SiteLearningTests.Seal, CancellationToken.None));
        }

        var afterTwo = await JudgeAsync(store, Newsletter(10), dmarcPass: true);
        await learner.LearnRawAsync(Newsletter(2), false, "bob", SiteLearningTests.Seal, CancellationToken.None);
        var afterThree = await JudgeAsync(store, Newsletter(11), dmarcPass: true);
        var forged = await JudgeAsync(store, Newsletter(12), dmarcPass: false);

        Assert.DoesNotContain(afterTwo, hit => hit.Name == SiteEvidenceCheck.SenderHamSymbol);
        var hit = Assert.Single(afterThree, hit => hit.Name == SiteEvidenceCheck.SenderHamSymbol);
        Assert.Contains("shop.test (From, DMARC pass) was taught as ham 3 times", hit.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(forged, hit => hit.Name == SiteEvidenceCheck.SenderHamSymbol);
    }

    [Fact]
    public async Task Forged_hams_teach_nothing_about_the_real_sender_and_one_spam_or_a_forget_takes_sender_ham_away()
    {
        var (store, learner) = await SiteAsync();
        for (var i = 0; i < 5; i++)
        {
            await learner.LearnRawAsync(Newsletter(i, authenticated: false), false, "mallory", SiteLearningTests.Seal, CancellationToken.None);
        }

        var afterForged = await JudgeAsync(store, Newsletter(10), dmarcPass: true);
        for (var i = 5; i < 8; i++)
        {
            await learner.LearnRawAsync(Newsletter(i), false, "bob", SiteLearningTests.Seal, CancellationToken.None);
        }

        var earned = await JudgeAsync(store, Newsletter(11), dmarcPass: true);
        await learner.LearnRawAsync(Newsletter(8), true, "carol", SiteLearningTests.Seal, CancellationToken.None);
        var afterSpam = await JudgeAsync(store, Newsletter(12), dmarcPass: true);
        await store.ForgetAsync("carol", bySenderDomain: false, CancellationToken.None);
        var afterForgettingTheSpam = await JudgeAsync(store, Newsletter(13), dmarcPass: true);
        await store.ForgetAsync("bob", bySenderDomain: false, CancellationToken.None);
        var afterForgettingTheHams = await JudgeAsync(store, Newsletter(14), dmarcPass: true);

        Assert.DoesNotContain(afterForged, hit => hit.Name == SiteEvidenceCheck.SenderHamSymbol);
        Assert.Contains(earned, hit => hit.Name == SiteEvidenceCheck.SenderHamSymbol);
        Assert.DoesNotContain(afterSpam, hit => hit.Name == SiteEvidenceCheck.SenderHamSymbol);
        Assert.Contains(afterForgettingTheSpam, hit => hit.Name == SiteEvidenceCheck.SenderHamSymbol);
        Assert.DoesNotContain(afterForgettingTheHams, hit => hit.Name == SiteEvidenceCheck.SenderHamSymbol);
    }

    [Fact]
    public async Task A_bulk_providers_dkim_signature_without_dmarc_alignment_earns_no_sender_ham()
    {
        var (store, learner) = await SiteAsync();
        byte[] ViaProvider(int i) => SiteLearningTests.Mail("news@shop.test", $"spring catalogue {i}", $"Our spring catalogue, edition {i}: garden tools and seeds", $"{Ours}; dkim=pass header.d=bulk-esp.test header.s=s1; dmarc=fail header.from=shop.test");
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(LearnOutcome.Learned, await learner.LearnRawAsync(ViaProvider(i), false, "bob", SiteLearningTests.Seal, CancellationToken.None));
        }

        var raw = ViaProvider(10);
        var context = new MessageContext { SessionId = "t", Envelope = Envelope.Offline, RawMessage = raw, Message = MimeMessage.Load(new MemoryStream(raw)) };
        Shipped.Lend(context);
        context.Authentication.Dkim = [new Gateway.Core.Authentication.Dkim.DkimSignatureResult(AuthResult.Pass, "bulk-esp.test", "s1", "rsa-sha256")];
        context.Authentication.Dmarc = new DmarcOutcome(AuthResult.Fail, "shop.test");
        await new SiteEvidenceCheck(store, new LearningOptions { MinSpam = 5, MinHam = 5 }).RunAsync(context, CancellationToken.None);

        Assert.Equal(5, (await store.StatsAsync(CancellationToken.None)).SenderDomains["bulk-esp.test"]); // the caps still count the signer
        Assert.DoesNotContain(context.Symbols, hit => hit.Name == SiteEvidenceCheck.SenderHamSymbol);
    }

    [Fact]
    public void Sender_ham_takes_a_message_the_capped_classifier_alone_tags_back_under_the_tag_threshold()
    {
        var tagged = ScoreCalculator.Decide([new SymbolHit("ML_SPAM", 1.0)], [], Shipped);
        var released = ScoreCalculator.Decide([new SymbolHit("ML_SPAM", 1.0), new SymbolHit(SiteEvidenceCheck.SenderHamSymbol, 1.0)], [], Shipped);

        Assert.Equal(VerdictAction.Tag, tagged.Action);
        Assert.Equal(VerdictAction.Accept, released.Action);
        Assert.Equal(tagged.Score - 2.0, released.Score, 9);
    }
}
