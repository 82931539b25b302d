using Gateway.Core.Learning;
using Gateway.Core.State;

namespace Gateway.Core.Tests.Learning;

public sealed class CachedSiteTokenStoreTests
{
    private static LearnedMessage Message(string key, bool isSpam, params ulong[] tokens) => new(key, isSpam, "test", "d.test", tokens);

    private static readonly LearnLimits NoCaps = new(0, 0, 1_000_000, TimeSpan.FromDays(180));

    [Fact]
    public async Task Counts_learned_elsewhere_show_after_the_ttl_what_this_instance_learns_at_once_and_totals_always()
    {
        var shared = new MemorySiteTokenStore();
        var time = new ManualClock();
        var cached = new CachedSiteTokenStore(shared, TimeSpan.FromSeconds(10), time);
        var now = DateTimeOffset.UtcNow;
        await shared.LearnAsync(Message("a", true, 1, 2), NoCaps, now, CancellationToken.None);
        Assert.Equal(new TokenCounts(1, 0), (await cached.LookupAsync([1], CancellationToken.None)).Tokens[0]);

        await shared.LearnAsync(Message("b", true, 1), NoCaps, now, CancellationToken.None); // another instance
        var soon = await cached.LookupAsync([1], CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(10.001));
        var later = await cached.LookupAsync([1], CancellationToken.None);
        await cached.LearnAsync(Message("c", false, 1), NoCaps, now, CancellationToken.None); // this instance
        var own = await cached.LookupAsync([1], CancellationToken.None);

        Assert.Equal(new TokenCounts(1, 0), soon.Tokens[0]);
        Assert.Equal(1, soon.SpamMessages); // all from the cache: no round trip, totals as they were
        Assert.Equal(2, later.SpamMessages);
        Assert.Equal(new TokenCounts(2, 0), later.Tokens[0]);
        Assert.Equal(new TokenCounts(2, 1), own.Tokens[0]);
    }

    [Fact]
    public async Task Forget_clears_what_was_cached()
    {
        var shared = new MemorySiteTokenStore();
        var cached = new CachedSiteTokenStore(shared, TimeSpan.FromMinutes(10), new ManualClock());
        await cached.LearnAsync(Message("a", true, 7), NoCaps, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Equal(1, (await cached.LookupAsync([7], CancellationToken.None)).Tokens[0].Spam);

        await cached.ForgetAsync("test", bySenderDomain: false, CancellationToken.None);

        Assert.Equal(default, (await cached.LookupAsync([7], CancellationToken.None)).Tokens[0]);
    }
}
