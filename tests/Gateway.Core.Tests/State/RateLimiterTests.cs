using Gateway.Core.Configuration;
using Gateway.Core.RateLimits;
using Gateway.Core.State;

namespace Gateway.Core.Tests.State;

public sealed class RateLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    [Fact]
    public async Task Transactions_per_client_over_the_limit_are_refused_and_pass_again_as_the_window_slides()
    {
        var clock = new ManualClock();
        var limit = new RateLimitOptions { Name = "per_ip", Key = RateLimitKey.ClientIp, Limit = 3, Window = TimeSpan.FromMinutes(10) };
        var limiter = new RateLimiter(new MemoryStateStore(clock), [limit], clock);

        for (var i = 0; i < 3; i++)
        {
            Assert.Null((await limiter.AtMailAsync(Client, "a@sender.test", CancellationToken.None)).Refusal);
        }

        var over = await limiter.AtMailAsync(Client, "a@sender.test", CancellationToken.None);
        var otherClient = await limiter.AtMailAsync(IPAddress.Parse("192.0.2.11"), "a@sender.test", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(25)); // two windows later nothing of the old counts remains
        var later = await limiter.AtMailAsync(Client, "a@sender.test", CancellationToken.None);

        Assert.Same(limit, over.Refusal);
        Assert.Null(otherClient.Refusal);
        Assert.Null(later.Refusal);
    }

    [Fact]
    public async Task Recipients_are_counted_at_rcpt_by_sender_domain_and_the_null_sender_is_not()
    {
        var clock = new ManualClock();
        var limit = new RateLimitOptions { Name = "rcpts", Key = RateLimitKey.SenderDomain, Count = RateLimitCount.Recipients, Limit = 2, Action = RateLimitAction.Symbol };
        var limiter = new RateLimiter(new MemoryStateStore(clock), [limit], clock);

        Assert.Empty((await limiter.AtMailAsync(Client, "a@bulk.test", CancellationToken.None)).Exceeded);
        Assert.Empty((await limiter.AtRcptAsync(Client, "a@bulk.test", "u1@example.test", CancellationToken.None)).Exceeded);
        Assert.Empty((await limiter.AtRcptAsync(Client, "b@BULK.test", "u2@example.test", CancellationToken.None)).Exceeded);
        var third = await limiter.AtRcptAsync(Client, "c@bulk.test", "u3@example.test", CancellationToken.None);
        var bounce = await limiter.AtRcptAsync(Client, null, "u4@example.test", CancellationToken.None);

        Assert.Equal([limit], third.Exceeded);
        Assert.Null(third.Refusal); // action: symbol refuses nothing
        Assert.Empty(bounce.Exceeded);
    }

    [Fact]
    public void The_previous_window_counts_for_what_still_overlaps()
    {
        var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero).AddMinutes(2.5);
        var (current, previous, weight) = SlidingWindow.Buckets("k", TimeSpan.FromMinutes(10), now);

        Assert.NotEqual(current, previous);
        Assert.Equal(0.75, weight, 6);
    }
}
