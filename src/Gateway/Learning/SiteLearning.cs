using Gateway.Core.Configuration;
using Gateway.Core.Learning;
using Gateway.Core.State;
using Gateway.Metrics;
using Microsoft.Extensions.Logging;

namespace Gateway.Learning;

/// <summary>Site learning as the running gateway holds it: the store, the learner and the pipeline check, wired to metrics.</summary>
internal sealed class SiteLearning
{
    private SiteLearning(SiteLearner learner, SiteEvidenceCheck check, SiteSecret secret, Core.Headers.ResultsSeal seal, Core.Fuzzy.FuzzyCheck? fuzzy)
    {
        Fuzzy = fuzzy;
        Learner = learner;
        Check = check;
        Secret = secret;
        Seal = seal;
    }

    public SiteLearner Learner { get; }

    /// <summary>The site's secret: /learn's credential is derived from it.</summary>
    public SiteSecret Secret { get; }

    /// <summary>Seals the Authentication-Results we stamp; checks those of messages learned later.</summary>
    public Core.Headers.ResultsSeal Seal { get; }

    public SiteEvidenceCheck Check { get; }

    /// <summary>Near-duplicates of learned mail (fuzzy.enabled), fed by <see cref="Learner"/>; null when fuzzy is off.</summary>
    public Core.Fuzzy.FuzzyCheck? Fuzzy { get; }

    /// <summary>Null when learning is off (or no state store was made).</summary>
    /// <param name="authenticates">Whether SPF, DKIM and DMARC run (DNS on): then site evidence waits for them.</param>
    public static SiteLearning? Create(GatewayOptions options, IStateStore? state, ILoggerFactory loggerFactory, bool authenticates)
    {
        if (!options.Learning.Enabled || state is null)
        {
            return null;
        }

        var secret = LoadSecret(options);
        var store = SiteTokenStores.For(state, options.State, options.Learning.CacheTtl);
        if (store is MemorySiteTokenStore memory)
        {
            memory.Evicted += count => GatewayMetrics.StateEvictions.WithLabels("site_tokens").Inc(count);
        }

        var check = new SiteEvidenceCheck(store, options.Learning) { DependsOn = authenticates ? SiteEvidenceCheck.AfterAuthentication : [] };
        var logger = loggerFactory.CreateLogger<SiteEvidenceCheck>();
        var throttle = new WarningThrottle(TimeSpan.FromMinutes(1), TimeProvider.System);
        check.Judged += probability => GatewayMetrics.SiteProbability.Observe(probability);
        check.Unavailable += reason =>
        {
            GatewayMetrics.SiteUnavailable.Inc();
            if (throttle.ShouldWarn("site"))
            {
                logger.LogWarning("Site evidence left out: the state store did not answer ({Reason}); mail flows on the shipped model and rules", reason);
            }
        };
        var fuzzyStore = Core.Fuzzy.FuzzyStores.For(options, state);
        if (fuzzyStore is Core.Fuzzy.MemoryFuzzyStore fuzzyMemory)
        {
            fuzzyMemory.Evicted += count => GatewayMetrics.StateEvictions.WithLabels("fuzzy").Inc(count);
        }

        var fuzzy = fuzzyStore is null ? null : new Core.Fuzzy.FuzzyCheck(fuzzyStore, options.Fuzzy);
        if (fuzzy is not null)
        {
            fuzzy.Looked += found => GatewayMetrics.FuzzyLookups.WithLabels(found).Inc();
            fuzzy.Unavailable += reason =>
            {
                GatewayMetrics.FuzzyLookups.WithLabels("unavailable").Inc();
                if (throttle.ShouldWarn("fuzzy"))
                {
                    logger.LogWarning("Fuzzy hashes left out: the state store did not answer ({Reason})", reason);
                }
            };
        }

        var learner = new SiteLearner(store, options.Learning, TimeProvider.System, fuzzyStore, options.Fuzzy.MinWords);
        return new SiteLearning(learner, check, secret, new Core.Headers.ResultsSeal(options.EffectiveAuthservId, secret.SealKey), fuzzy);
    }

    /// <summary>The running gateway creates the file when it is missing (the CLI only reads it).</summary>
    private static SiteSecret LoadSecret(GatewayOptions options)
    {
        var path = options.Learning.SecretPath(options.BaseFolder);
        try
        {
            return SiteSecret.LoadOrCreate(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"learning.secret_file: cannot use {path}: {exception.Message} (a writable path, or an existing file of 64 hex digits)");
        }
    }

    public async Task RefreshGaugesAsync()
    {
        try
        {
            var stats = await Learner.Store.StatsAsync(CancellationToken.None);
            GatewayMetrics.SiteTokens.Set(stats.Tokens);
            GatewayMetrics.SiteMessages.WithLabels("spam").Set(stats.SpamMessages);
            GatewayMetrics.SiteMessages.WithLabels("ham").Set(stats.HamMessages);
        }
        catch (StateUnavailableException)
        {
            // Counted where it matters (scans); the gauges keep their last value.
        }
    }
}
