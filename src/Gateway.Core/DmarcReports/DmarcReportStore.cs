using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Core.State;
using StackExchange.Redis;

namespace Gateway.Core.DmarcReports;

/// <summary>
/// DMARC evaluations counted per report period (a UTC-aligned slice of dmarc_reports.interval) and policy domain,
/// shared by instances through Redis so each domain gets one report per period, not one per instance
/// (<see cref="ClaimAsync"/>: the first instance to claim a domain's period sends it).
/// </summary>
public interface IDmarcReportStore
{
    Task AddAsync(long period, DmarcObservation observation, CancellationToken cancellationToken);

    Task<IReadOnlyList<string>> DomainsAsync(long period, CancellationToken cancellationToken);

    /// <summary>The policy last seen for the domain in the period and its rows with their counts; null when none.</summary>
    Task<(DmarcPublished Policy, IReadOnlyList<(DmarcReportRow Row, long Count)> Rows)?> ReadAsync(long period, string domain, CancellationToken cancellationToken);

    /// <summary>True for exactly one caller per period and domain, across every instance sharing the store.</summary>
    Task<bool> ClaimAsync(long period, string domain, CancellationToken cancellationToken);

    /// <summary>Gives a claim back (the relay could not be reached): the next round, on any instance, tries again.</summary>
    Task ReleaseAsync(long period, string domain, CancellationToken cancellationToken);
}

internal static class DmarcReportJson
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

/// <summary>One instance's counts (state.backend: memory), kept for the last few periods.</summary>
public sealed class MemoryDmarcReportStore : IDmarcReportStore
{
    private readonly ConcurrentDictionary<(long Period, string Domain), Period> _periods = new();

    public Task AddAsync(long period, DmarcObservation observation, CancellationToken cancellationToken)
    {
        foreach (var old in _periods.Keys.Where(key => key.Period < period - 3))
        {
            _periods.TryRemove(old, out _);
        }

        var slot = _periods.GetOrAdd((period, observation.Policy.Domain), _ => new Period());
        lock (slot)
        {
            slot.Policy = observation.Policy;
            var key = JsonSerializer.Serialize(observation.Row, DmarcReportJson.Options);
            slot.Rows[key] = slot.Rows.GetValueOrDefault(key) + 1;
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> DomainsAsync(long period, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<string>>([.. _periods.Keys.Where(key => key.Period == period).Select(key => key.Domain).Order(StringComparer.Ordinal)]);

    public Task<(DmarcPublished Policy, IReadOnlyList<(DmarcReportRow Row, long Count)> Rows)?> ReadAsync(long period, string domain, CancellationToken cancellationToken)
    {
        if (!_periods.TryGetValue((period, domain), out var slot) || slot.Policy is null)
        {
            return Task.FromResult<(DmarcPublished, IReadOnlyList<(DmarcReportRow, long)>)?>(null);
        }

        lock (slot)
        {
            IReadOnlyList<(DmarcReportRow, long)> rows = [.. slot.Rows.Select(pair => (JsonSerializer.Deserialize<DmarcReportRow>(pair.Key, DmarcReportJson.Options)!, pair.Value))];
            return Task.FromResult<(DmarcPublished, IReadOnlyList<(DmarcReportRow, long)>)?>((slot.Policy, rows));
        }
    }

    public Task<bool> ClaimAsync(long period, string domain, CancellationToken cancellationToken)
    {
        if (!_periods.TryGetValue((period, domain), out var slot))
        {
            return Task.FromResult(false);
        }

        lock (slot)
        {
            var first = !slot.Claimed;
            slot.Claimed = true;
            return Task.FromResult(first);
        }
    }

    public Task ReleaseAsync(long period, string domain, CancellationToken cancellationToken)
    {
        if (_periods.TryGetValue((period, domain), out var slot))
        {
            lock (slot)
            {
                slot.Claimed = false;
            }
        }

        return Task.CompletedTask;
    }

    private sealed class Period
    {
        public DmarcPublished? Policy { get; set; }

        public Dictionary<string, long> Rows { get; } = new(StringComparer.Ordinal);

        public bool Claimed { get; set; }
    }
}

/// <summary>The counts in Redis (state.backend: redis): a set of domains, a hash of rows and the policy per domain and period.</summary>
public sealed class RedisDmarcReportStore(IConnectionMultiplexer redis, string prefix, TimeSpan keep) : IDmarcReportStore
{
    public Task AddAsync(long period, DmarcObservation observation, CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, async database =>
        {
            var domain = observation.Policy.Domain;
            var batch = database.CreateBatch();
            var sent = new List<Task>
            {
                batch.SetAddAsync(Key(period, "domains"), domain),
                batch.KeyExpireAsync(Key(period, "domains"), keep),
                batch.HashIncrementAsync(Key(period, domain, "rows"), JsonSerializer.Serialize(observation.Row, DmarcReportJson.Options)),
                batch.KeyExpireAsync(Key(period, domain, "rows"), keep),
                batch.StringSetAsync(Key(period, domain, "policy"), JsonSerializer.Serialize(observation.Policy, DmarcReportJson.Options), keep),
            };
            batch.Execute();
            await Task.WhenAll(sent);
            return true;
        });

    public async Task<IReadOnlyList<string>> DomainsAsync(long period, CancellationToken cancellationToken) =>
        [.. (await RedisCalls.RunAsync(redis, database => database.SetMembersAsync(Key(period, "domains")))).Select(value => value.ToString()).Order(StringComparer.Ordinal)];

    public async Task<(DmarcPublished Policy, IReadOnlyList<(DmarcReportRow Row, long Count)> Rows)?> ReadAsync(long period, string domain, CancellationToken cancellationToken)
    {
        var policy = await RedisCalls.RunAsync(redis, database => database.StringGetAsync(Key(period, domain, "policy")));
        if (policy.IsNullOrEmpty)
        {
            return null;
        }

        var rows = await RedisCalls.RunAsync(redis, database => database.HashGetAllAsync(Key(period, domain, "rows")));
        return (JsonSerializer.Deserialize<DmarcPublished>(policy.ToString(), DmarcReportJson.Options)!,
            [.. rows.Select(entry => (JsonSerializer.Deserialize<DmarcReportRow>(entry.Name.ToString(), DmarcReportJson.Options)!, (long)entry.Value))]);
    }

    public Task<bool> ClaimAsync(long period, string domain, CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, database => database.StringSetAsync(Key(period, domain, "sent"), Environment.MachineName, keep, When.NotExists));

    public Task ReleaseAsync(long period, string domain, CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, database => database.KeyDeleteAsync(Key(period, domain, "sent")));

    private string Key(long period, string what) => $"{prefix}dmarc:{period}:{what}";

    private string Key(long period, string domain, string what) => $"{prefix}dmarc:{period}:{domain}:{what}";
}
