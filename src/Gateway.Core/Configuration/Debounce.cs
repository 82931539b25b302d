namespace Gateway.Core.Configuration;

/// <summary>
/// Runs an action once a burst of signals has been quiet for a while: editors and copies save a file in
/// several steps, and a reload per step would load half-written files. Shared by the policy and the model
/// reloads.
/// </summary>
public sealed class Debounce(Action action, TimeSpan quiet) : IDisposable
{
    private readonly Timer _timer = new(_ => action(), null, Timeout.Infinite, Timeout.Infinite);

    /// <summary>Something changed: run the action once nothing more has for the quiet time.</summary>
    public void Signal() => _timer.Change(quiet, Timeout.InfiniteTimeSpan);

    public void Dispose() => _timer.Dispose();
}
