using System.Net.Http;

namespace Gateway.IntegrationTests;

/// <summary>
/// Site learning end to end: two gateway processes sharing a real Redis, the CLI against Redis and against
/// a running gateway's memory store, the guards of the Redis store's own scripts, and Redis down.
/// </summary>
public sealed class SiteLearningTests
{
    private const string Learning = "learning: {min_spam: 5, min_ham: 5, max_per_sender_domain_per_day: 3}";

    private static string RedisState(string endPoint) => $"state: {{backend: redis, redis: \"{endPoint}\", timeout: 300ms}}";

    private static byte[] Spam(int i) => TestMessages.Crlf($"From: shop{i}@spam{i}.test\nTo: user@example.test\nSubject: cheap replica watches {i}\nMessage-ID: <s{i}.{Guid.NewGuid():N}@test>\n\nBuy cheap replica watches and casino bonus now, offer {i} expires tonight\n");

    private static byte[] Ham(int i) => TestMessages.Crlf($"From: colleague{i}@work{i}.test\nTo: user@example.test\nSubject: meeting agenda {i}\nMessage-ID: <h{i}.{Guid.NewGuid():N}@test>\n\nHere is the agenda for the budget meeting, item {i}: quarterly report review\n");

    private static string Folder(Func<int, byte[]> make, int count)
    {
        var folder = Directory.CreateTempSubdirectory("learn-").FullName;
        for (var i = 0; i < count; i++)
        {
            File.WriteAllBytes(Path.Combine(folder, $"{i:000}.eml"), make(i));
        }

        return folder;
    }

    private static string Config(string yaml)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("learn-config-").FullName, "gateway.yaml");
        File.WriteAllText(path, $"hostname: gateway.example.test\ndomains: [example.test]\nrules: {RepositoryRoot.Rules}\n{yaml}\n");
        return path;
    }

    private static async Task<string> PostAsync(GatewayProcess gateway, int metricsPort, string path, byte[] body) =>
        await PostAsync(metricsPort, path, body, gateway.LearnToken);

    private static async Task<string> PostAsync(int metricsPort, string path, byte[] body, string? token)
    {
        using var http = new HttpClient();
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }

        var response = await http.PostAsync(new Uri($"http://127.0.0.1:{metricsPort}/learn/{path}"), new ByteArrayContent(body));
        return $"{(int)response.StatusCode} {(await response.Content.ReadAsStringAsync()).Trim()}";
    }

    private static string Received(FakeDownstream downstream, string subject) =>
        Encoding.UTF8.GetString(downstream.Messages.Single(message => Encoding.UTF8.GetString(message.Raw).Contains(subject, StringComparison.Ordinal)).Raw);

    [Fact(Timeout = 120_000)]
    public async Task Spam_learned_through_one_gateway_and_ham_through_the_other_show_in_both_verdicts()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        var yaml = $"{RedisState(redis.EndPoint)}\n{Learning}";
        var (firstMetrics, secondMetrics) = (FreePort.Next(), FreePort.Next());
        await using var first = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: yaml, metricsPort: firstMetrics);
        await using var second = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: yaml, metricsPort: secondMetrics);

        var answers = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            answers.Add(await PostAsync(first, firstMetrics, "spam?source=alice", Spam(i)));
            answers.Add(await PostAsync(second, secondMetrics, "ham?source=bob", Ham(i)));
        }

        Assert.All(answers, answer => Assert.Equal("200 learned", answer));
        await TestMessages.SendAsync(second.EndPoint, TestMessages.Create(subject: "replica watches tonight", body: "cheap replica watches casino bonus offer tonight"));
        await TestMessages.SendAsync(first.EndPoint, TestMessages.Create(subject: "the budget meeting", body: "the agenda for the quarterly budget meeting report"));

        var spam = Received(downstream, "replica watches tonight");
        var ham = Received(downstream, "the budget meeting");
        Assert.Contains("SITE_SPAM(2.00)", spam, StringComparison.Ordinal);
        Assert.Contains("site=p=1.000 from", spam, StringComparison.Ordinal);
        Assert.Contains("\"replica", spam, StringComparison.Ordinal);
        Assert.Contains("SITE_HAM(-1.00)", ham, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task The_cli_learns_into_redis_with_the_stores_own_guards_and_forgets_a_source()
    {
        await using var redis = await RedisServer.StartAsync();
        var config = Config($"{RedisState(redis.EndPoint)}\n{Learning}");
        var forged = Directory.CreateTempSubdirectory("forged-").FullName;
        for (var i = 0; i < 5; i++)
        {
            // From bank.test, unauthenticated, with a result claiming a pass from someone else's authserv-id.
            File.WriteAllBytes(Path.Combine(forged, $"{i}.eml"), TestMessages.Crlf($"Authentication-Results: mx.attacker.test; dmarc=pass header.from=bank.test\nFrom: ceo@bank.test\nSubject: wire {i}\n\nurgent wire transfer {i}\n"));
        }

        // One more forger: our own authserv-id and a DMARC pass, but no seal of ours (it never passed through the gateway).
        File.WriteAllBytes(Path.Combine(forged, "ours.eml"), TestMessages.Crlf("Authentication-Results: gateway.example.test; dmarc=pass header.from=bank.test\nFrom: ceo@bank.test\nMessage-ID: <forged@bank.test>\nSubject: wire 5\n\nurgent wire transfer 5\n"));

        // The real one as the gateway stamped it: our results, sealed with the site's secret (the CLI creates it on its first run).
        var secret = Gateway.Core.Learning.SiteSecret.LoadOrCreate(Path.Combine(Path.GetDirectoryName(config)!, "data", "learning.secret"));
        var seal = new Gateway.Core.Headers.ResultsSeal("gateway.example.test", secret.SealKey);
        const string Results = "Authentication-Results: gateway.example.test; dkim=pass header.d=bank.test header.s=s1; dmarc=pass header.from=bank.test";
        var real = Path.Combine(Directory.CreateTempSubdirectory("real-").FullName, "real.eml");
        File.WriteAllBytes(real, TestMessages.Crlf($"{Results}\n{seal.Field(Results, "<statement@bank.test>")}\nFrom: news@bank.test\nMessage-ID: <statement@bank.test>\nSubject: statement\n\nyour monthly statement\n"));

        var spam = await GatewayCli.RunAsync("learn", "spam", "--config", config, "--source", "alice", Folder(Spam, 6));
        var again = await GatewayCli.RunAsync("learn", "spam", "--config", config, "--source", "carol", Folder(Spam, 1));
        var ham = await GatewayCli.RunAsync("learn", "ham", "--config", config, "--source", "mallory", forged, real);
        var conflict = await GatewayCli.RunAsync("learn", "ham", "--config", config, "--source", "bob", real);
        var stats = await GatewayCli.RunAsync("learn", "stats", "--config", config);
        var forget = await GatewayCli.RunAsync("learn", "forget", "--config", config, "--source", "alice");
        var after = await GatewayCli.RunAsync("learn", "stats", "--config", config);

        Assert.True(spam.ExitCode == 0, spam.Error);
        Assert.Contains("spam from alice: 6 learned", spam.Output, StringComparison.Ordinal);
        Assert.Contains("0 learned, 1 duplicate", again.Output, StringComparison.Ordinal); // the body hash, whatever the headers
        Assert.Contains("ham from mallory: 4 learned, 0 duplicate, 0 conflict, 3 sender_capped", ham.Output, StringComparison.Ordinal);
        Assert.Contains("ham from bob: 0 learned, 1 duplicate", conflict.Output, StringComparison.Ordinal);
        Assert.Contains("learned: 6 spam, 4 ham", stats.Output, StringComparison.Ordinal);
        Assert.Matches(@"3\s+\?bank\.test", stats.Output);
        Assert.Matches(@"1\s+bank\.test", stats.Output);
        Assert.Contains("6 messages unlearned (source alice)", forget.Output, StringComparison.Ordinal);
        Assert.Contains("learned: 0 spam, 4 ham", after.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", after.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_message_learned_as_both_classes_in_redis_is_dropped_from_both()
    {
        await using var redis = await RedisServer.StartAsync();
        var config = Config($"{RedisState(redis.EndPoint)}\n{Learning}");
        var one = Folder(Spam, 1);

        await GatewayCli.RunAsync("learn", "spam", "--config", config, "--source", "alice", one);
        var relabelled = await GatewayCli.RunAsync("learn", "ham", "--config", config, "--source", "bob", one);
        var stats = await GatewayCli.RunAsync("learn", "stats", "--config", config, "--json");

        Assert.Contains("1 conflict", relabelled.Output, StringComparison.Ordinal);
        Assert.Contains("\"spam_messages\":0,\"ham_messages\":0,\"tokens\":0", stats.Output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task With_redis_down_mail_flows_without_site_evidence_and_learning_is_refused_with_a_clear_message()
    {
        var nowhere = $"127.0.0.1:{FreePort.Next()}";
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                State = new Gateway.Core.Configuration.StateOptions { Backend = Gateway.Core.Configuration.StateBackend.Redis, Redis = nowhere, Timeout = TimeSpan.FromMilliseconds(300) },
                Learning = options.Learning with { MinSpam = 1, MinHam = 1 },
                Classifier = options.Classifier with { Enabled = false },
            });
        var unavailableBefore = Gateway.Metrics.GatewayMetrics.SiteUnavailable.Value;

        var reply = await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "redis is not there"));
        var learn = await GatewayCli.RunAsync("learn", "spam", "--config", Config($"{RedisState(nowhere)}\n{Learning}"), Folder(Spam, 1));

        Assert.StartsWith("2.0.0", reply, StringComparison.Ordinal);
        Assert.DoesNotContain("SITE_", Received(downstream, "redis is not there"), StringComparison.Ordinal);
        Assert.True(Gateway.Metrics.GatewayMetrics.SiteUnavailable.Value > unavailableBefore);
        Assert.Equal(1, learn.ExitCode);
        Assert.StartsWith($"gateway: site learning refused: Redis at {nowhere} did not answer", learn.Error, StringComparison.Ordinal);
        Assert.Single(learn.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.True(learn.Error.Trim().Length < 400, learn.Error); // not the client library's 1,100 characters of internals
    }

    [Fact(Timeout = 120_000)]
    public async Task With_the_memory_store_the_cli_learns_through_the_running_gateway_and_says_so_when_none_runs()
    {
        var metrics = FreePort.Next();
        var config = Config($"metrics: {{listen: \"127.0.0.1:{metrics}\"}}");
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                Metrics = options.Metrics with { Listen = $"127.0.0.1:{metrics}" },
                Learning = options.Learning with { SecretFile = Path.Combine(Path.GetDirectoryName(config)!, "data", "learning.secret"), MinSpam = 5, MinHam = 5 },
                Classifier = options.Classifier with { Enabled = false },
                Fuzzy = new Gateway.Core.Configuration.FuzzyOptions { Enabled = true, MinWords = 5 },
            });
        var learnedBefore = Gateway.Metrics.GatewayMetrics.Learned.WithLabels("spam", "cli", "learned").Value;

        var spam = await GatewayCli.RunAsync("learn", "spam", "--config", config, Folder(Spam, 5));
        var ham = await GatewayCli.RunAsync("learn", "ham", "--config", config, Folder(Ham, 5));
        var stats = await GatewayCli.RunAsync("learn", "stats", "--config", config);
        var statsJson = await GatewayCli.RunAsync("learn", "stats", "--json", "--config", config);
        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "replica watches again", body: "cheap replica watches casino bonus offer tonight"));
        var elsewhere = await GatewayCli.RunAsync("learn", "spam", "--config", Config($"metrics: {{listen: \"127.0.0.1:{FreePort.Next()}\"}}"), Folder(Spam, 1));
        var fuzzyForgotten = await GatewayCli.RunAsync("learn", "forget", "--fuzzy", "spam", "--config", config, Folder(Spam, 5));

        Assert.True(spam.ExitCode == 0, spam.Error);
        Assert.Contains("spam from cli: 5 learned", spam.Output, StringComparison.Ordinal);
        Assert.Contains("ham from cli: 5 learned", ham.Output, StringComparison.Ordinal);
        Assert.Contains("learned: 5 spam, 5 ham", stats.Output, StringComparison.Ordinal);
        Assert.Equal(5, System.Text.Json.JsonDocument.Parse(statsJson.Output).RootElement.GetProperty("spam_messages").GetInt32());
        Assert.Equal(learnedBefore + 5, Gateway.Metrics.GatewayMetrics.Learned.WithLabels("spam", "cli", "learned").Value);
        Assert.Contains("SITE_SPAM(", Received(downstream, "replica watches again"), StringComparison.Ordinal);
        Assert.True(fuzzyForgotten.ExitCode == 0, fuzzyForgotten.Error);
        Assert.Matches(@"fuzzy hashes learned as spam: [1-5] messages taken back", fuzzyForgotten.Output); // through the running gateway's /learn/forget-fuzzy
        Assert.Equal(1, elsewhere.ExitCode);
        Assert.Contains("site learning refused: no gateway answered at http://127.0.0.1:", elsewhere.Error, StringComparison.Ordinal);
    }

    /// <summary>A newsletter of the site's own: SPF and DMARC pass for shop.test from the test's loopback client.</summary>
    private static MimeKit.MimeMessage Newsletter(int i, string from = "news@shop.test")
    {
        var message = TestMessages.Create(subject: $"spring catalogue [{i}]", body: $"Our spring catalogue, edition {i}: new garden tools, seeds and planters, free delivery this week");
        message.From.Clear();
        message.From.Add(MimeKit.MailboxAddress.Parse(from));
        return message;
    }

    [Fact(Timeout = 120_000)]
    public async Task A_sender_the_users_released_three_times_earns_sender_ham_and_a_forger_of_its_from_does_not()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTxt("shop.test", "v=spf1 ip4:127.0.0.0/8 -all");
        dns.AddTxt("_dmarc.shop.test", "v=DMARC1; p=none");
        await using var downstream = await FakeDownstream.StartAsync();
        var metrics = FreePort.Next();
        await using var gateway = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: $"{RedisState(redis.EndPoint)}\n{Learning}", metricsPort: metrics);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal("200 learned", await PostAsync(gateway, metrics, "spam?source=alice", Spam(i)));
            Assert.Equal("200 learned", await PostAsync(gateway, metrics, "ham?source=alice", Ham(i)));
        }

        // Three newsletters arrive; the user releases each (learned as ham, as delivered: with our Authentication-Results).
        var released = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            await TestMessages.SendAsync(gateway.EndPoint, Newsletter(i));
            released.Add(await PostAsync(gateway, metrics, "ham?source=bob", Encoding.UTF8.GetBytes(Received(downstream, $"spring catalogue [{i}]"))));
            await TestMessages.SendAsync(gateway.EndPoint, Newsletter(10 + i)); // before the third release: not yet
        }

        await TestMessages.SendAsync(gateway.EndPoint, Newsletter(20));
        // A forger: From shop.test, but the envelope and SPF are someone else's, so DMARC fails.
        var forged = Newsletter(21);
        forged.Sender = MimeKit.MailboxAddress.Parse("bulk@elsewhere.test");
        await TestMessages.SendAsync(gateway.EndPoint, forged);

        Assert.All(released, answer => Assert.Equal("200 learned", answer));
        Assert.DoesNotContain("SITE_SENDER_HAM", Received(downstream, "spring catalogue [11]"), StringComparison.Ordinal);
        Assert.Contains("SITE_SENDER_HAM(-2.00)", Received(downstream, "spring catalogue [12]"), StringComparison.Ordinal);
        Assert.Contains("SITE_SENDER_HAM(-2.00)", Received(downstream, "spring catalogue [20]"), StringComparison.Ordinal);
        Assert.Contains("dmarc=fail", Received(downstream, "spring catalogue [21]"), StringComparison.Ordinal);
        Assert.DoesNotContain("SITE_SENDER_HAM", Received(downstream, "spring catalogue [21]"), StringComparison.Ordinal);
    }
}
