using System.Diagnostics;

namespace Gateway.Core.Pipeline;

/// <summary>
/// Runs checks in dependency order: every check whose dependencies are done runs in parallel with the
/// others of its level, each under limits.check_timeout (or its own <see cref="IMessageCheck.TimeLimit"/>). A check that throws or times out yields a
/// <c>CHECK_ERROR</c> symbol, never an exception out of the runner (the fallback is the scorer's business).
/// </summary>
public sealed class PipelineRunner
{
    public const string CheckErrorSymbol = "CHECK_ERROR";

    private readonly IReadOnlyList<IReadOnlyList<IMessageCheck>> _levels;
    private readonly TimeSpan _checkTimeout;

    /// <summary>The checks that start their DNS lookups before their dependencies are done (computed when the runner is built, not per message).</summary>
    private readonly IReadOnlyList<IStartsLookupsEarly> _early;

    public PipelineRunner(IEnumerable<IMessageCheck> checks, TimeSpan checkTimeout)
    {
        _levels = OrderByDependencies([.. checks]);
        _checkTimeout = checkTimeout;
        _early = [.. _levels.SelectMany(level => level).OfType<IStartsLookupsEarly>()];
    }

    public int CheckCount => _levels.Sum(level => level.Count);

    public async Task<IReadOnlyList<CheckResult>> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var results = new List<CheckResult>(CheckCount);
        foreach (var early in _early)
        {
            early.StartLookups(message);
        }

        foreach (var level in _levels)
        {
            results.AddRange(await Task.WhenAll(level.Select(check => RunOneAsync(check, message, cancellationToken))));
        }

        return results;
    }

    private async Task<CheckResult> RunOneAsync(IMessageCheck check, MessageContext message, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var limit = check.TimeLimit ?? _checkTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit);
        CheckStatus status;
        try
        {
            status = await check.RunAsync(message, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            message.Add(new SymbolHit(CheckErrorSymbol, 1.0, $"{check.Name}: timed out after {limit.TotalSeconds:0.###}s"));
            status = CheckStatus.TimedOut;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            message.Add(new SymbolHit(CheckErrorSymbol, 1.0, $"{check.Name}: {exception.GetType().Name}: {exception.Message}"));
            status = CheckStatus.Failed;
        }

        return new CheckResult(check.Name, status, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Kahn's algorithm by levels; unknown dependencies and cycles are programming errors.</summary>
    private static List<IReadOnlyList<IMessageCheck>> OrderByDependencies(List<IMessageCheck> checks)
    {
        var byName = new Dictionary<string, IMessageCheck>(StringComparer.Ordinal);
        foreach (var check in checks)
        {
            if (!byName.TryAdd(check.Name, check))
            {
                throw new ArgumentException($"two checks are named '{check.Name}'");
            }
        }

        foreach (var check in checks)
        {
            var unknown = check.DependsOn.FirstOrDefault(name => !byName.ContainsKey(name));
            if (unknown is not null)
            {
                throw new ArgumentException($"check '{check.Name}' depends on unknown check '{unknown}'");
            }
        }

        var levels = new List<IReadOnlyList<IMessageCheck>>();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var pending = checks;
        while (pending.Count > 0)
        {
            var ready = pending.Where(check => check.DependsOn.All(done.Contains)).ToList();
            if (ready.Count == 0)
            {
                throw new ArgumentException($"checks depend on each other in a cycle: {string.Join(", ", pending.Select(c => c.Name))}");
            }

            levels.Add(ready);
            done.UnionWith(ready.Select(check => check.Name));
            pending = [.. pending.Except(ready)];
        }

        return levels;
    }
}
