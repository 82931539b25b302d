using Gateway.Core.Configuration;
using Gateway.Core.Headers;
using Gateway.Core.Learning;
using Gateway.Core.State;
using MimeKit;

namespace Gateway.Core.Tests.Learning;

/// <summary>The site model's arithmetic, tokens, sender identity and the guards of the memory store (the Redis store runs the same contract in the integration tests).</summary>
public sealed class SiteLearningTests
{
    /// <summary>The gateway's seal in these tests (authserv-id gw.test, a fixed key).</summary>
    internal static readonly ResultsSeal Seal = new("gw.test", SiteSecret.FromKey([.. Enumerable.Range(1, 32).Select(i => (byte)i)]).SealKey);

    /// <param name="authenticationResults">An Authentication-Results value; sealed with <see cref="Seal"/> (as the gateway stamps it) unless <paramref name="sealedByUs"/> is false.</param>
    internal static byte[] Mail(string from, string subject, string body, string? authenticationResults = null, bool sealedByUs = true)
    {
        var messageId = $"<{Guid.NewGuid():N}@test>";
        var results = authenticationResults is null ? string.Empty : $"Authentication-Results: {authenticationResults}\r\n";
        var seal = authenticationResults is null || !sealedByUs ? string.Empty : Seal.Field(results.TrimEnd(), messageId) + "\r\n";
        return Encoding.UTF8.GetBytes(results + seal + $"From: {from}\r\nTo: user@example.test\r\nSubject: {subject}\r\nMessage-ID: {messageId}\r\n\r\n{body}\r\n");
    }

    private static SiteLearner Learner(ISiteTokenStore store, LearningOptions? options = null) =>
        new(store, options ?? new LearningOptions(), new ManualClock());

    private static async Task<SiteVerdict> JudgeAsync(ISiteTokenStore store, byte[] raw)
    {
        var message = MimeMessage.Load(new MemoryStream(raw));
        var tokens = SiteTokens.Of(message, Gateway.Core.Classification.MessageFeatures.Extract(message, raw.Length));
        return SiteBayes.Combine(tokens, await store.LookupAsync(SiteTokens.Hashes(tokens), CancellationToken.None));
    }

    internal static async Task TeachAsync(SiteLearner learner, int each, string source = "test")
    {
        for (var i = 0; i < each; i++)
        {
            await learner.LearnRawAsync(Mail($"shop{i}@spam{i}.test", $"cheap replica watches {i}", $"Buy cheap replica watches and casino bonus now, offer {i} expires tonight"), true, source, Seal, CancellationToken.None, unlimited: true);
            await learner.LearnRawAsync(Mail($"colleague{i}@work{i}.test", $"meeting agenda {i}", $"Here is the agenda for the budget meeting, item {i}: quarterly report review"), false, source, Seal, CancellationToken.None, unlimited: true);
        }
    }

    [Fact]
    public void Chi_square_survival_matches_known_values()
    {
        Assert.Equal(1.0, SiteBayes.ChiSquareSurvival(0, 4), 6);
        Assert.Equal(Math.Exp(-1), SiteBayes.ChiSquareSurvival(2, 2), 9); // df 2: e^(-x/2)
        Assert.Equal(0.0497870684, SiteBayes.ChiSquareSurvival(6, 2), 8);
    }

    [Fact]
    public async Task Learned_spam_and_ham_move_similar_mail_each_their_way_and_unseen_words_say_nothing()
    {
        var store = new MemorySiteTokenStore();
        await TeachAsync(Learner(store), 10);

        var spam = await JudgeAsync(store, Mail("x@new.test", "replica watches", "cheap replica watches casino bonus tonight"));
        var ham = await JudgeAsync(store, Mail("y@new.test", "budget meeting", "agenda for the quarterly budget meeting report"));
        var unknown = await JudgeAsync(store, Mail("z@new.test", "zebra", "xylophone quokka"));

        Assert.True(spam.SpamProbability > 0.95, $"spam p={spam.SpamProbability}");
        Assert.True(ham.SpamProbability < 0.05, $"ham p={ham.SpamProbability}");
        Assert.Equal(0.5, unknown.SpamProbability);
        Assert.Contains(spam.Strongest, clue => clue.Token.Contains("replica", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_body_learned_as_both_classes_is_dropped_from_both_and_stays_dropped()
    {
        var store = new MemorySiteTokenStore();
        var learner = Learner(store);
        var raw = Mail("a@x.test", "hello", "the same words");
        var forwarded = Encoding.UTF8.GetBytes("X-Forwarded-By: someone\r\n" + Encoding.UTF8.GetString(raw));

        Assert.Equal(LearnOutcome.Learned, await learner.LearnRawAsync(raw, true, "alice", Seal, CancellationToken.None));
        Assert.Equal(LearnOutcome.Duplicate, await learner.LearnRawAsync(forwarded, true, "bob", Seal, CancellationToken.None));
        Assert.Equal(LearnOutcome.Conflict, await learner.LearnRawAsync(raw, false, "bob", Seal, CancellationToken.None));
        Assert.Equal(LearnOutcome.Conflict, await learner.LearnRawAsync(raw, true, "carol", Seal, CancellationToken.None));

        var stats = await store.StatsAsync(CancellationToken.None);
        Assert.Equal((0, 0, 0), (stats.SpamMessages, stats.HamMessages, stats.Tokens));
    }

    [Fact]
    public async Task A_forged_from_teaches_under_its_own_unauthenticated_bucket_and_cannot_use_up_the_real_domains_cap()
    {
        var store = new MemorySiteTokenStore();
        var learner = Learner(store, new LearningOptions { MaxPerSenderDomainPerDay = 3 });
        const string Ours = "gw.test";
        var outcomes = new List<LearnOutcome>();
        for (var i = 0; i < 5; i++)
        {
            // A forger: From bank.test, no authentication (and a forged result from someone else's authserv-id).
            outcomes.Add(await learner.LearnRawAsync(Mail("ceo@bank.test", $"wire {i}", $"urgent wire {i}", "mx.attacker.test; dkim=pass header.d=bank.test"), false, "alice", Seal, CancellationToken.None));
        }

        var real = await learner.LearnRawAsync(Mail("news@bank.test", "statement", "your statement", $"{Ours}; dkim=pass header.d=mail.bank.test header.s=s1; dmarc=pass header.from=bank.test"), false, "alice", Seal, CancellationToken.None);
        var stats = await store.StatsAsync(CancellationToken.None);

        Assert.Equal([LearnOutcome.Learned, LearnOutcome.Learned, LearnOutcome.Learned, LearnOutcome.SenderCapped, LearnOutcome.SenderCapped], outcomes);
        Assert.Equal(LearnOutcome.Learned, real);
        Assert.Equal(3, stats.SenderDomains["?bank.test"]);
        Assert.Equal(1, stats.SenderDomains["bank.test"]);
    }

    [Fact]
    public async Task One_source_is_capped_per_day()
    {
        var store = new MemorySiteTokenStore();
        var learner = Learner(store, new LearningOptions { MaxPerSourcePerDay = 2 });
        var outcomes = new List<LearnOutcome>();
        for (var i = 0; i < 3; i++)
        {
            outcomes.Add(await learner.LearnRawAsync(Mail($"a@d{i}.test", $"s {i}", $"words {i}"), true, "mallory", Seal, CancellationToken.None));
        }

        Assert.Equal([LearnOutcome.Learned, LearnOutcome.Learned, LearnOutcome.SourceCapped], outcomes);
        Assert.Equal(LearnOutcome.Learned, await learner.LearnRawAsync(Mail("a@other.test", "s", "other words"), true, "alice", Seal, CancellationToken.None));
    }

    [Fact]
    public async Task Forget_removes_exactly_what_one_source_taught()
    {
        var store = new MemorySiteTokenStore();
        var learner = Learner(store);
        await TeachAsync(learner, 5, source: "alice");
        var before = await JudgeAsync(store, Mail("x@new.test", "replica watches", "cheap replica watches casino bonus tonight"));
        await learner.LearnRawAsync(Mail("m@poison.test", "poison", "cheap replica watches casino bonus are lovely"), false, "mallory", Seal, CancellationToken.None, unlimited: true);
        await learner.LearnRawAsync(Mail("m@poison.test", "poison 2", "replica watches casino bonus tonight are fine"), false, "mallory", Seal, CancellationToken.None, unlimited: true);

        Assert.Equal(2, await store.ForgetAsync("mallory", bySenderDomain: false, CancellationToken.None));
        var after = await JudgeAsync(store, Mail("x@new.test", "replica watches", "cheap replica watches casino bonus tonight"));
        var stats = await store.StatsAsync(CancellationToken.None);

        Assert.Equal(before.SpamProbability, after.SpamProbability, 12);
        Assert.Equal((5L, 5L), (stats.SpamMessages, stats.HamMessages));
        Assert.False(stats.Sources.ContainsKey("mallory"));
        Assert.Equal(10, stats.Sources["alice"]);
    }

    [Fact]
    public async Task Beyond_max_tokens_the_least_recently_learned_go()
    {
        var store = new MemorySiteTokenStore();
        var learner = Learner(store, new LearningOptions { MaxTokens = 1000 });
        for (var i = 0; i < 60; i++)
        {
            var words = string.Join(' ', Enumerable.Range(0, 20).Select(j => $"w{i}x{j}"));
            await learner.LearnRawAsync(Mail($"a@d{i}.test", "s", words), i % 2 == 0, "test", Seal, CancellationToken.None, unlimited: true);
        }

        Assert.InRange((await store.StatsAsync(CancellationToken.None)).Tokens, 1, 1000);
    }

    [Fact]
    public void Sender_identity_prefers_dmarc_then_dkim_then_spf_from_our_own_results_only()
    {
        static string Of(string? results, bool sealedByUs = true) => SenderIdentity.Of(MimeMessage.Load(new MemoryStream(Mail("someone@mail.brand.test", "s", "b", results, sealedByUs))), Seal);

        Assert.Equal("brand.test", Of("gw.test; spf=pass smtp.mailfrom=bounce@esp.test; dkim=pass header.d=esp.test; dmarc=pass header.from=mail.brand.test"));
        Assert.Equal("esp.test", Of("gw.test; spf=pass smtp.mailfrom=bounce@other.test; dkim=pass header.d=mail.esp.test; dmarc=fail header.from=brand.test"));
        Assert.Equal("other.test", Of("gw.test; spf=pass smtp.mailfrom=bounce@other.test; dkim=fail header.d=esp.test"));
        Assert.Equal("?brand.test", Of("gw.test; spf=fail smtp.mailfrom=x@y.test"));
        Assert.Equal("?brand.test", Of("elsewhere.test; dmarc=pass header.from=brand.test"));
        Assert.Equal("?brand.test", Of(null));
        // Our authserv-id without our seal: a message that reached a mailbox around the gateway, or was handed to /learn.
        Assert.Equal("?brand.test", Of("gw.test; dmarc=pass header.from=mail.brand.test", sealedByUs: false));
    }

    [Fact]
    public void A_seal_holds_for_its_own_results_and_message_id_only_and_survives_refolding()
    {
        const string Results = "Authentication-Results: gw.test; dkim=pass header.d=bank.test; dmarc=pass header.from=bank.test";
        var seal = Seal.Field(Results, "<a@test>");
        MimeMessage Parse(string headers) => MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(headers + "From: x@bank.test\r\nSubject: s\r\n\r\nbody\r\n")));

        var refolded = Parse($"{Results.Replace("; dmarc", ";\r\n\tdmarc", StringComparison.Ordinal)}\r\n{seal}\r\nMessage-ID:\r\n <a@test>\r\n");
        var otherId = Parse($"{Results}\r\n{seal}\r\nMessage-ID: <b@test>\r\n");
        var otherResult = Parse($"{Results.Replace("bank.test; dmarc", "evil.test; dmarc", StringComparison.Ordinal)}\r\n{seal}\r\nMessage-ID: <a@test>\r\n");
        var otherKey = new ResultsSeal("gw.test", SiteSecret.FromKey(new byte[32]).SealKey);

        Assert.NotNull(Seal.OursIn(refolded));
        Assert.Null(Seal.OursIn(otherId));
        Assert.Null(Seal.OursIn(otherResult));
        Assert.Null(otherKey.OursIn(refolded));
    }

    [Fact]
    public void Tokens_are_words_pairs_subject_words_and_the_from_domain_and_the_key_ignores_headers()
    {
        var raw = Mail("Shop <news@mail.shop.test>", "Big Sale", "Free shipping on 12345 items");
        var message = MimeMessage.Load(new MemoryStream(raw));
        var tokens = SiteTokens.Of(message, Gateway.Core.Classification.MessageFeatures.Extract(message, raw.Length));

        Assert.Contains("from:shop.test", tokens);
        Assert.Contains("s:sale", tokens);
        Assert.Contains("free shipping", tokens);
        Assert.DoesNotContain("12345", tokens);
        Assert.Equal(SiteTokens.MessageKey(raw), SiteTokens.MessageKey(Encoding.UTF8.GetBytes("Received: x\r\n" + Encoding.UTF8.GetString(raw))));
    }
}
