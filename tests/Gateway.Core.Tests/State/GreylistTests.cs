using Gateway.Core.Configuration;
using Gateway.Core.Greylisting;
using Gateway.Core.State;

namespace Gateway.Core.Tests.State;

public sealed class GreylistTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    private static (Greylist Greylist, ManualClock Clock) Create(int autoAllowAfter = 0)
    {
        var clock = new ManualClock();
        var options = new GreylistingOptions { Enabled = true, Delay = TimeSpan.FromMinutes(5), AutoAllowAfter = autoAllowAfter };
        return (new Greylist(new MemoryStateStore(clock), options, clock), clock);
    }

    [Fact]
    public async Task A_new_triplet_is_deferred_a_retry_too_early_still_is_and_one_after_the_delay_passes()
    {
        var (greylist, clock) = Create();

        var first = await greylist.CheckAsync(Client, "a@sender.test", "user@example.test", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(2));
        var early = await greylist.CheckAsync(Client, "a@sender.test", "user@example.test", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(4));
        var retry = await greylist.CheckAsync(IPAddress.Parse("192.0.2.77"), "A@Sender.test", "user@example.test", CancellationToken.None); // same /24, case differs
        var later = await greylist.CheckAsync(Client, "a@sender.test", "user@example.test", CancellationToken.None);

        Assert.Equal(new GreylistOutcome(GreylistResult.Deferred, TimeSpan.FromMinutes(5)), first);
        Assert.Equal(new GreylistOutcome(GreylistResult.Deferred, TimeSpan.FromMinutes(3)), early);
        Assert.Equal(GreylistResult.Passed, retry.Result);
        Assert.Equal(GreylistResult.Passed, later.Result);
    }

    [Fact]
    public async Task Another_sender_recipient_or_network_is_a_new_triplet()
    {
        var (greylist, clock) = Create();
        await greylist.CheckAsync(Client, "a@sender.test", "user@example.test", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(6));

        Assert.Equal(GreylistResult.Deferred, (await greylist.CheckAsync(Client, "b@sender.test", "user@example.test", CancellationToken.None)).Result);
        Assert.Equal(GreylistResult.Deferred, (await greylist.CheckAsync(Client, "a@sender.test", "other@example.test", CancellationToken.None)).Result);
        Assert.Equal(GreylistResult.Deferred, (await greylist.CheckAsync(IPAddress.Parse("198.51.100.10"), "a@sender.test", "user@example.test", CancellationToken.None)).Result);
    }

    [Fact]
    public async Task A_network_with_enough_passes_skips_greylisting_for_new_triplets()
    {
        var (greylist, clock) = Create(autoAllowAfter: 2);
        await greylist.CheckAsync(Client, "a@sender.test", "user@example.test", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(6));
        await greylist.CheckAsync(Client, "a@sender.test", "user@example.test", CancellationToken.None); // pass 1
        await greylist.CheckAsync(Client, "a@sender.test", "user@example.test", CancellationToken.None); // pass 2: network allowed

        Assert.Equal(GreylistResult.Passed, (await greylist.CheckAsync(Client, "new@sender.test", "new@example.test", CancellationToken.None)).Result);
    }

    [Theory]
    [InlineData("192.0.2.200", "192.0.2.0/24")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    public void Clients_are_grouped_by_network(string client, string network) =>
        Assert.Equal(network, Create().Greylist.NetworkOf(IPAddress.Parse(client)));

    /// <summary>
    /// Pipelined MAIL + 100 RCPT + RSET from one client made 450,000 triplets a minute in memory. A network's
    /// new triplets are capped per hour; beyond the cap it is deferred and nothing is kept for it.
    /// </summary>
    [Fact]
    public async Task One_network_opens_at_most_its_hourly_share_of_new_triplets_and_others_are_unaffected()
    {
        var clock = new ManualClock();
        var store = new MemoryStateStore(clock);
        var greylist = new Greylist(store, new GreylistingOptions { Enabled = true, MaxNewPerNetworkPerHour = 50 }, clock);

        var outcomes = new List<GreylistOutcome>();
        for (var i = 0; i < 5000; i++)
        {
            outcomes.Add(await greylist.CheckAsync(Client, $"spammer{i}@flood.test", $"user{i % 100}@example.test", CancellationToken.None));
        }

        var other = await greylist.CheckAsync(IPAddress.Parse("198.51.100.7"), "a@sender.test", "user@example.test", CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(6));
        var otherRetry = await greylist.CheckAsync(IPAddress.Parse("198.51.100.7"), "a@sender.test", "user@example.test", CancellationToken.None);
        var firstRetry = await greylist.CheckAsync(Client, "spammer0@flood.test", "user0@example.test", CancellationToken.None);

        Assert.All(outcomes, outcome => Assert.Equal(GreylistResult.Deferred, outcome.Result));
        Assert.InRange(store.Count, 1, 60);
        Assert.Equal(GreylistResult.Passed, otherRetry.Result);
        Assert.Equal(GreylistResult.Deferred, other.Result);
        Assert.Equal(GreylistResult.Passed, firstRetry.Result); // within its share: remembered, so its retry passes
    }
}
