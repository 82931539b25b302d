using Gateway.Core.State;

namespace Gateway.Core.Tests.State;

/// <summary>The single-box store keeps a bound whatever senders do: expired keys go first, then the oldest written.</summary>
public sealed class MemoryStateStoreTests
{
    [Fact]
    public async Task At_its_bound_the_store_drops_the_oldest_written_keys_and_counts_them()
    {
        var clock = new ManualClock();
        var store = new MemoryStateStore(clock, maxKeys: 1000);
        var evicted = 0;
        store.Evicted += () => evicted++;

        for (var i = 0; i < 5000; i++)
        {
            await store.AddIfAbsentAsync($"grey:seen:{i}", "1", TimeSpan.FromHours(24), CancellationToken.None);
        }

        Assert.InRange(store.Count, 900, 1000);
        Assert.Equal(5000 - store.Count, evicted);
        Assert.Null(await store.GetAsync("grey:seen:0", CancellationToken.None));
        Assert.NotNull(await store.GetAsync("grey:seen:4999", CancellationToken.None));
    }

    [Fact]
    public async Task Expired_keys_make_room_before_any_live_key_is_evicted_and_a_rewritten_key_counts_as_new()
    {
        var clock = new ManualClock();
        var store = new MemoryStateStore(clock, maxKeys: 1000);
        var evicted = 0;
        store.Evicted += () => evicted++;
        await store.SetAsync("keep", "1", TimeSpan.FromDays(30), CancellationToken.None);
        for (var i = 0; i < 999; i++)
        {
            await store.SetAsync($"short:{i}", "1", TimeSpan.FromMinutes(1), CancellationToken.None);
        }

        clock.Advance(TimeSpan.FromMinutes(2));
        for (var i = 0; i < 500; i++)
        {
            await store.SetAsync($"new:{i}", "1", TimeSpan.FromDays(1), CancellationToken.None);
        }

        Assert.Equal(0, evicted);
        Assert.Equal("1", await store.GetAsync("keep", CancellationToken.None));

        // "keep" written again is the newest: a flood of new keys pushes the others out first.
        await store.SetAsync("keep", "2", TimeSpan.FromDays(30), CancellationToken.None);
        for (var i = 0; i < 700; i++)
        {
            await store.SetAsync($"flood:{i}", "1", TimeSpan.FromDays(1), CancellationToken.None);
        }

        Assert.True(evicted > 0);
        Assert.Equal("2", await store.GetAsync("keep", CancellationToken.None));
        Assert.Null(await store.GetAsync("new:0", CancellationToken.None));
    }
}
