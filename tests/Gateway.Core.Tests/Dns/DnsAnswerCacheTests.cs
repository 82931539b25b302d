using Gateway.Core.Dns;

namespace Gateway.Core.Tests.Dns;

public sealed class DnsAnswerCacheTests
{
    private static readonly DnsAnswer<string> Answer = new(DnsStatus.Ok, ["v=spf1 -all"]);

    [Fact]
    public void An_answer_lives_for_its_ttl()
    {
        var time = new ManualClock();
        var cache = new DnsAnswerCache(10, time);
        cache.Add("a.test", 16, Answer, TimeSpan.FromSeconds(60));

        Assert.True(cache.TryGet<string>("a.test", 16, out var hit));
        Assert.Same(Answer, hit);
        Assert.False(cache.TryGet<string>("a.test", 1, out _)); // another type is another question

        time.Advance(TimeSpan.FromSeconds(61));
        Assert.False(cache.TryGet<string>("a.test", 16, out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Temporary_errors_and_zero_ttls_are_never_kept()
    {
        var cache = new DnsAnswerCache(10, new ManualClock());
        cache.Add("a.test", 16, DnsAnswer<string>.TempError, TimeSpan.FromSeconds(60));
        cache.Add("b.test", 16, Answer, TimeSpan.Zero);

        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_full_cache_makes_room_only_from_expired_entries()
    {
        var time = new ManualClock();
        var cache = new DnsAnswerCache(2, time);
        cache.Add("short.test", 16, Answer, TimeSpan.FromSeconds(5));
        cache.Add("long.test", 16, Answer, TimeSpan.FromSeconds(600));

        cache.Add("third.test", 16, Answer, TimeSpan.FromSeconds(60));
        Assert.False(cache.TryGet<string>("third.test", 16, out _)); // full, nothing expired: not kept
        Assert.Equal(2, cache.Count);

        time.Advance(TimeSpan.FromSeconds(10));
        cache.Add("fourth.test", 16, Answer, TimeSpan.FromSeconds(60));
        Assert.True(cache.TryGet<string>("fourth.test", 16, out _));
        Assert.True(cache.TryGet<string>("long.test", 16, out _));
        Assert.Equal(2, cache.Count);
    }
}
