using Gateway.Core.Network;

namespace Gateway.Core.Tests.Network;

public sealed class ReusableTimeoutTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_token_is_cancelled_when_its_timeout_passes()
    {
        using var timeout = new ReusableTimeout();

        var token = timeout.Start(CancellationToken.None, TimeSpan.FromMilliseconds(20));

        await WaitUntilCancelled(token);
    }

    [Fact]
    public async Task The_next_operation_gets_a_live_token_and_its_own_timeout()
    {
        using var timeout = new ReusableTimeout();
        var first = timeout.Start(CancellationToken.None, TimeSpan.FromMilliseconds(30));

        // The first operation finished in time: its timer must not cancel the second.
        var second = timeout.Start(CancellationToken.None, Long);
        await Task.Delay(200);
        Assert.False(second.IsCancellationRequested);
        Assert.False(first.IsCancellationRequested);

        var third = timeout.Start(CancellationToken.None, TimeSpan.FromMilliseconds(20));
        await WaitUntilCancelled(third);
    }

    [Fact]
    public async Task After_a_timeout_fired_the_next_operation_starts_uncancelled()
    {
        using var timeout = new ReusableTimeout();
        await WaitUntilCancelled(timeout.Start(CancellationToken.None, TimeSpan.FromMilliseconds(10)));

        var next = timeout.Start(CancellationToken.None, Long);

        Assert.False(next.IsCancellationRequested);
    }

    [Fact]
    public void The_callers_token_cancels_the_operation_and_a_new_caller_gets_a_new_link()
    {
        using var timeout = new ReusableTimeout();
        using var session = new CancellationTokenSource();
        var token = timeout.Start(session.Token, Long);

        session.Cancel();

        Assert.True(token.IsCancellationRequested);
        Assert.False(timeout.Start(CancellationToken.None, Long).IsCancellationRequested);
    }

    private static async Task WaitUntilCancelled(CancellationToken token)
    {
        // Generous: only that it happens is asserted, never how fast.
        await Task.WhenAny(Task.Delay(Timeout.Infinite, token), Task.Delay(TimeSpan.FromSeconds(10)));
        Assert.True(token.IsCancellationRequested);
    }
}
