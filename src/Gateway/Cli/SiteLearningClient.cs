using System.Net.Http.Json;
using Gateway.Core.Configuration;
using Gateway.Core.Learning;
using Gateway.Core.State;

namespace Gateway.Cli;

/// <summary>
/// How the CLI reaches the site model: straight into Redis when the gateways share one (state.backend:
/// redis: learning then needs no gateway running), else through the running gateway's HTTP listener
/// (metrics.listen, /learn/*), since the memory store lives in that process only.
/// </summary>
internal abstract class SiteLearningClient : IAsyncDisposable
{
    public abstract Task<LearnOutcome> LearnAsync(byte[] raw, bool isSpam, string source, string via, bool noCaps, CancellationToken cancellationToken);

    public abstract Task<long> ForgetAsync(string name, bool bySenderDomain, CancellationToken cancellationToken);

    /// <summary>Takes back one fuzzy learning of the message as that class; false when fuzzy is off or it has no fingerprint.</summary>
    public abstract Task<bool> ForgetFuzzyAsync(byte[] raw, bool isSpam, CancellationToken cancellationToken);

    public abstract Task<SiteStats> StatsAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    public static async Task<SiteLearningClient> ConnectAsync(GatewayOptions options)
    {
        if (!options.Learning.Enabled)
        {
            throw new UsageException("site learning is off in this configuration (learning.enabled: false)");
        }

        var secret = ReadSecret(options);
        if (options.State.Backend == StateBackend.Redis)
        {
            var redis = await RedisStateStore.ConnectAsync(options.State.Redis, options.State.KeyPrefix, options.State.Timeout);
            var seal = new Core.Headers.ResultsSeal(options.EffectiveAuthservId, secret.SealKey);
            return new Direct(redis, new SiteLearner(SiteTokenStores.For(redis, options.State), options.Learning, TimeProvider.System, Core.Fuzzy.FuzzyStores.For(options, redis), options.Fuzzy.MinWords), seal, options.State.Redis);
        }

        if (!ListenAddress.TryParse(options.Metrics.Listen, 0, out var endPoint) || endPoint is null)
        {
            throw new UsageException("with state.backend: memory the site model lives in the running gateway, reached through metrics.listen, which is off; set it (or use state.backend: redis)");
        }

        var host = endPoint.Address.Equals(IPAddress.Any) ? IPAddress.Loopback : endPoint.Address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback : endPoint.Address;
        return new OverHttp(new Uri($"http://{new IPEndPoint(host, endPoint.Port)}/learn/"), secret.LearnToken);
    }

    /// <summary>
    /// The site's secret, learning.secret_file of the same config the gateway runs with: whichever starts
    /// first creates it (with Redis, learning needs no gateway running). A CLI on another machine needs a
    /// copy of the file, as every instance does.
    /// </summary>
    private static SiteSecret ReadSecret(GatewayOptions options)
    {
        var path = options.Learning.SecretPath(options.BaseFolder);
        try
        {
            return SiteSecret.LoadOrCreate(path);
        }
        catch (UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read the site secret {path} (learning.secret_file): run this as the user the gateway runs as");
        }
    }

    private sealed class Direct(RedisStateStore redis, SiteLearner learner, Core.Headers.ResultsSeal seal, string where) : SiteLearningClient
    {
        public override Task<LearnOutcome> LearnAsync(byte[] raw, bool isSpam, string source, string via, bool noCaps, CancellationToken cancellationToken) =>
            Guard(() => learner.LearnRawAsync(raw, isSpam, source, seal, cancellationToken, noCaps));

        public override Task<long> ForgetAsync(string name, bool bySenderDomain, CancellationToken cancellationToken) =>
            Guard(() => learner.Store.ForgetAsync(name, bySenderDomain, cancellationToken));

        public override Task<SiteStats> StatsAsync(CancellationToken cancellationToken) => Guard(() => learner.Store.StatsAsync(cancellationToken));

        public override Task<bool> ForgetFuzzyAsync(byte[] raw, bool isSpam, CancellationToken cancellationToken) =>
            Guard(() => learner.ForgetFuzzyAsync(raw, isSpam, cancellationToken));

        public override ValueTask DisposeAsync() => redis.DisposeAsync();

        private async Task<T> Guard<T>(Func<Task<T>> operation)
        {
            try
            {
                return await operation();
            }
            catch (StateUnavailableException exception)
            {
                throw new IOException($"site learning refused: Redis at {where} did not answer ({exception.Message}); nothing was learned", exception);
            }
        }
    }

    private sealed class OverHttp(Uri baseUri, string token) : SiteLearningClient
    {
        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30), DefaultRequestHeaders = { Authorization = new("Bearer", token) } };

        public override async Task<LearnOutcome> LearnAsync(byte[] raw, bool isSpam, string source, string via, bool noCaps, CancellationToken cancellationToken)
        {
            var query = $"{(isSpam ? "spam" : "ham")}?source={Uri.EscapeDataString(source)}&via={via}{(noCaps ? "&no_caps=1" : string.Empty)}";
            var answer = await SendAsync(HttpMethod.Post, query, new ByteArrayContent(raw), cancellationToken);
            return LearnOutcomes.TryParse(answer, out var outcome) ? outcome : throw new IOException($"unexpected answer from the gateway: '{answer}'");
        }

        public override async Task<long> ForgetAsync(string name, bool bySenderDomain, CancellationToken cancellationToken) =>
            long.Parse(await SendAsync(HttpMethod.Post, $"forget?{(bySenderDomain ? "domain" : "source")}={Uri.EscapeDataString(name)}", null, cancellationToken), System.Globalization.CultureInfo.InvariantCulture);

        public override async Task<bool> ForgetFuzzyAsync(byte[] raw, bool isSpam, CancellationToken cancellationToken) =>
            await SendAsync(HttpMethod.Post, $"forget-fuzzy?class={(isSpam ? "spam" : "ham")}", new ByteArrayContent(raw), cancellationToken) == "forgotten";

        public override async Task<SiteStats> StatsAsync(CancellationToken cancellationToken) =>
            System.Text.Json.JsonSerializer.Deserialize<SiteStats>(await SendAsync(HttpMethod.Get, "stats", null, cancellationToken))
            ?? throw new IOException("the gateway sent no statistics");

        public override ValueTask DisposeAsync()
        {
            _http.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task<string> SendAsync(HttpMethod method, string relative, HttpContent? content, CancellationToken cancellationToken)
        {
            var uri = new Uri(baseUri, relative);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(new HttpRequestMessage(method, uri) { Content = content }, cancellationToken);
            }
            catch (HttpRequestException exception)
            {
                throw new IOException($"site learning refused: no gateway answered at {baseUri.GetLeftPart(UriPartial.Authority)} ({exception.Message}); with state.backend: memory the running gateway holds the site model", exception);
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == System.Net.HttpStatusCode.Unauthorized)
            {
                throw new IOException($"site learning refused by the gateway at {baseUri.GetLeftPart(UriPartial.Authority)}: the credential from this config's learning.secret_file is not the running gateway's (give the gateway's own --config, or copy its secret file)");
            }

            return response.IsSuccessStatusCode ? body.Trim() : throw new IOException($"site learning refused by the gateway: {(int)response.StatusCode} {body.Trim()}");
        }
    }
}
