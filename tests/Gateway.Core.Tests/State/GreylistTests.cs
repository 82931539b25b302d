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
}
