namespace Gateway.IntegrationTests;

/// <summary>
/// Two gateway processes on loopback sharing greylisting and rate-limit state through a real Redis;
/// and Redis dying under a running gateway.
/// </summary>
public sealed class SharedStateTests
{
    private static string RedisState(RedisServer redis) => $"state: {{backend: redis, redis: \"{redis.EndPoint}\", timeout: 300ms}}";

    private static async Task<string> RcptAsync(IPEndPoint gateway, string recipient = "user@example.test")
    {
        await using var client = await RawSmtpClient.ConnectAsync(gateway);
        return (await client.EnvelopeAsync("sender@remote.test", recipient))[0];
    }

    [Fact(Timeout = 120_000)]
    public async Task Greylisting_first_attempt_on_one_instance_and_the_retry_on_the_other_after_the_delay()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        var yaml = $"{RedisState(redis)}\ngreylisting: {{enabled: true, delay: 4s}}";
        await using var first = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: yaml);
        await using var second = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: yaml);

        var onFirst = await RcptAsync(first.EndPoint);
        var tooEarlyOnSecond = await RcptAsync(second.EndPoint);
        await Task.Delay(TimeSpan.FromSeconds(4.5));
        await using var retry = await RawSmtpClient.ConnectAsync(second.EndPoint);
        var accepted = (await retry.EnvelopeAsync("sender@remote.test", "user@example.test"))[0];
        var delivered = await retry.DataAsync(TestMessages.Crlf("From: sender@remote.test\nSubject: greylisted once\n\nhello\n.\n"));

        Assert.StartsWith("451 4.7.1 Greylisted", onFirst, StringComparison.Ordinal);
        Assert.StartsWith("451 4.7.1 Greylisted", tooEarlyOnSecond, StringComparison.Ordinal);
        Assert.StartsWith("250", accepted, StringComparison.Ordinal);
        Assert.StartsWith("250", delivered, StringComparison.Ordinal);
        Assert.Single(downstream.Messages);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_rate_limit_is_shared_by_both_instances()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        var yaml = $"{RedisState(redis)}\nrate_limits:\n  - {{name: per_ip, key: client_ip, count: messages, limit: 3, window: 1h}}";
        await using var first = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: yaml);
        await using var second = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, extraYaml: yaml);

        var replies = new List<string>();
        foreach (var gateway in new[] { first, second, first, second })
        {
            await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
            Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
            replies.Add(await client.CommandAsync("MAIL FROM:<sender@remote.test>"));
        }

        Assert.All(replies.Take(3), reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        Assert.StartsWith("450 4.7.1 Rate limit per_ip exceeded", replies[3], StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task With_redis_killed_mail_flows_on_fail_open_and_the_failure_is_counted()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                State = new Gateway.Core.Configuration.StateOptions { Backend = Gateway.Core.Configuration.StateBackend.Redis, Redis = redis.EndPoint, Timeout = TimeSpan.FromMilliseconds(300) },
                Greylisting = options.Greylisting with { Enabled = true, Delay = TimeSpan.FromHours(1) },
                Classifier = options.Classifier with { Enabled = false },
            });
        Assert.StartsWith("451 4.7.1 Greylisted", await RcptAsync(gateway.EndPoint), StringComparison.Ordinal);
        var errorsBefore = Gateway.Metrics.GatewayMetrics.StateErrors.Value;

        await redis.KillAsync();
        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "redis is gone"));

        Assert.Single(downstream.Messages);
        Assert.True(Gateway.Metrics.GatewayMetrics.StateErrors.Value > errorsBefore);
    }

    [Fact(Timeout = 120_000)]
    public async Task With_redis_down_and_on_error_tempfail_the_client_is_told_451_4_3_0()
    {
        await using var redis = await RedisServer.StartAsync();
        await redis.KillAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                State = new Gateway.Core.Configuration.StateOptions { Backend = Gateway.Core.Configuration.StateBackend.Redis, Redis = redis.EndPoint, Timeout = TimeSpan.FromMilliseconds(300), OnError = Gateway.Core.Configuration.StateFallback.TempFail },
                Greylisting = options.Greylisting with { Enabled = true },
            });

        Assert.StartsWith("451 4.3.0", await RcptAsync(gateway.EndPoint), StringComparison.Ordinal);
        Assert.Empty(downstream.Messages);
    }
}
