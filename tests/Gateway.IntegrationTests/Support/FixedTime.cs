namespace Gateway.IntegrationTests.Support;

/// <summary>A clock stopped at one instant, for vectors whose signatures expire.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
