namespace Gateway.Core.Configuration;

public enum StateBackend
{
    /// <summary>In this process: right for one gateway.</summary>
    Memory,

    /// <summary>Shared by every instance behind the same MX.</summary>
    Redis,
}

public enum StateFallback
{
    /// <summary>Fail open: greylisting and rate limits are skipped while the store is unreachable.</summary>
    Accept,

    /// <summary>451 4.3.0 while the store is unreachable: nothing passes unchecked, senders retry.</summary>
    TempFail,
}

/// <summary>Where greylisting and rate limits keep their state (gateway.yaml <c>state:</c>).</summary>
public sealed record StateOptions
{
    public StateBackend Backend { get; init; } = StateBackend.Memory;

    /// <summary>host:port of the Redis server (StackExchange.Redis configuration string: more options may follow, comma-separated).</summary>
    public string Redis { get; init; } = "127.0.0.1:6379";

    /// <summary>Prefix of every key, so several gateways (or other users) can share one Redis.</summary>
    public string KeyPrefix { get; init; } = "gateway:";

    /// <summary>How long one store operation may take before it counts as unavailable.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMilliseconds(500);

    public StateFallback OnError { get; init; } = StateFallback.Accept;

    /// <summary>
    /// backend: memory: keys kept at most (greylisting triplets, rate-limit windows; ~300 bytes each); at
    /// the bound the expired go first, then the oldest written, counted in gateway_state_evictions_total.
    /// </summary>
    public int MemoryMaxKeys { get; init; } = 200_000;

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(MemoryMaxKeys >= 1000, "state.memory_max_keys", "must be 1000 or more");
        errors.Require(Backend != StateBackend.Redis || !string.IsNullOrWhiteSpace(Redis), "state.redis", "needs host:port");
        errors.Require(Timeout > TimeSpan.Zero, "state.timeout", "must be more than 0");
    }
}

/// <summary>Greylisting (gateway.yaml <c>greylisting:</c>), off by default.</summary>
public sealed record GreylistingOptions
{
    public bool Enabled { get; init; }

    /// <summary>How long a new (network, sender, recipient) triplet must wait before a retry passes.</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a first attempt is remembered; a retry after that starts over.</summary>
    public TimeSpan RetryWindow { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How long a triplet that passed (and an auto-allowed network) stays allowed.</summary>
    public TimeSpan PassTtl { get; init; } = TimeSpan.FromDays(36);

    /// <summary>Passed messages from one client network after which the whole network skips greylisting; 0 = never.</summary>
    public int AutoAllowAfter { get; init; } = 5;

    public int Ipv4Prefix { get; init; } = 24;

    public int Ipv6Prefix { get; init; } = 64;

    /// <summary>Client networks never greylisted (CIDR), e.g. partners and your own relays.</summary>
    public List<string> SkipNetworks { get; init; } = [];

    /// <summary>Skip clients an enabled DNS allow list (an ip list answer with a negative score, e.g. DNSWL) vouches for.</summary>
    public bool SkipDnswl { get; init; } = true;

    /// <summary>
    /// New triplets one client network may open per hour; beyond it the client is deferred without a
    /// triplet being kept, so one client pipelining thousands of RCPTs cannot fill the store (or push
    /// other senders' first attempts out of it). 0 = no cap.
    /// </summary>
    public int MaxNewPerNetworkPerHour { get; init; } = 1000;

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(Delay > TimeSpan.Zero, "greylisting.delay", "must be more than 0");
        errors.Require(RetryWindow > Delay, "greylisting.retry_window", "must be longer than the delay");
        errors.Require(PassTtl > TimeSpan.Zero, "greylisting.pass_ttl", "must be more than 0");
        errors.Require(AutoAllowAfter >= 0, "greylisting.auto_allow_after", "must be 0 (never) or more");
        errors.Require(MaxNewPerNetworkPerHour >= 0, "greylisting.max_new_per_network_per_hour", "must be 0 (no cap) or more");
        errors.Require(Ipv4Prefix is >= 8 and <= 32, "greylisting.ipv4_prefix", "must be between 8 and 32");
        errors.Require(Ipv6Prefix is >= 16 and <= 128, "greylisting.ipv6_prefix", "must be between 16 and 128");
        for (var i = 0; i < SkipNetworks.Count; i++)
        {
            errors.Require(IPNetwork.TryParse(SkipNetworks[i], out _), $"greylisting.skip_networks.{i}", $"'{SkipNetworks[i]}' is not a CIDR network");
        }
    }
}

public enum RateLimitKey
{
    ClientIp,
    SenderDomain,
    Recipient,
}

public enum RateLimitCount
{
    /// <summary>Transactions (MAIL FROM) for client_ip and sender_domain; messages addressed to it for recipient.</summary>
    Messages,

    /// <summary>Accepted recipients.</summary>
    Recipients,
}

public enum RateLimitAction
{
    /// <summary>450 4.7.1: the sender retries later.</summary>
    TempFail,

    /// <summary>421 4.7.0 and the connection closes.</summary>
    Disconnect,

    /// <summary>Nothing refused: the message carries the limit's symbol, for scores and rules.</summary>
    Symbol,
}

/// <summary>One rate limit (gateway.yaml <c>rate_limits:</c>), over a sliding window.</summary>
public sealed record RateLimitOptions
{
    public string Name { get; init; } = string.Empty;

    public RateLimitKey Key { get; init; } = RateLimitKey.ClientIp;

    public RateLimitCount Count { get; init; } = RateLimitCount.Messages;

    public long Limit { get; init; }

    public TimeSpan Window { get; init; } = TimeSpan.FromHours(1);

    public RateLimitAction Action { get; init; } = RateLimitAction.TempFail;

    /// <summary>The symbol a message gets when over this limit (any action); default RATELIMIT_NAME.</summary>
    public string? Symbol { get; init; }

    public string EffectiveSymbol => Symbol ?? "RATELIMIT_" + Name.ToUpperInvariant();

    internal void Validate(ConfigErrors errors, string path)
    {
        errors.Require(Name.Length > 0 && Name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'), $"{path}.name", "letters, digits and _ (it names the metric label and the symbol)");
        errors.Require(Limit > 0, $"{path}.limit", "must be more than 0");
        errors.Require(Window >= TimeSpan.FromSeconds(1), $"{path}.window", "must be at least 1s");
    }
}
