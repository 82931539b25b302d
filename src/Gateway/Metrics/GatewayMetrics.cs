using Prometheus;

namespace Gateway.Metrics;

/// <summary>
/// Every metric the gateway exports, defined in one place (Prometheus naming: gateway_ prefix, base units,
/// _total for counters). deploy/grafana and deploy/prometheus may use only these; a test checks that.
/// </summary>
internal static class GatewayMetrics
{
    private static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    public static readonly Gauge BuildInfo = Prometheus.Metrics.CreateGauge(
        "gateway_build_info", "Always 1; the version label tells which build runs.", "version");

    public static readonly Counter Messages = Prometheus.Metrics.CreateCounter(
        "gateway_messages_total", "Messages that reached a verdict, by action.", "action");

    public static readonly Counter ShadowWould = Prometheus.Metrics.CreateCounter(
        "gateway_shadow_would_total", "In mode: shadow, messages forwarded that enforce mode would have rejected or deferred, by action.", "action");

    public static readonly Counter SymbolHits = Prometheus.Metrics.CreateCounter(
        "gateway_symbol_hits_total", "Symbols reported by checks (bounded by rules/symbols.yaml and the checks).", "symbol");

    public static readonly Counter DnsListLookups = Prometheus.Metrics.CreateCounter(
        "gateway_dnslist_lookups_total", "DNS list lookups, by list (rules/lists.yaml name) and result: listed, clean or error (DNS trouble or an error answer such as 127.255.255.x).", "list", "result");

    public static readonly Counter Greylist = Prometheus.Metrics.CreateCounter(
        "gateway_greylist_total", "Greylisting decisions at RCPT: passed, deferred (451 4.7.1), skipped (allow-listed network or DNSWL), unavailable (state store down).", "result");

    public static readonly Counter RateLimitExceeded = Prometheus.Metrics.CreateCounter(
        "gateway_ratelimit_exceeded_total", "Attempts over a rate limit, by limit name (rate_limits in gateway.yaml).", "limit");

    public static readonly Counter StateErrors = Prometheus.Metrics.CreateCounter(
        "gateway_state_errors_total", "Greylisting or rate-limit decisions the state store (Redis) could not answer; state.on_error decided instead.");

    public static readonly Counter StateEvictions = Prometheus.Metrics.CreateCounter(
        "gateway_state_evictions_total", "Live keys pushed out of an in-memory store at its bound, oldest first: state (greylisting, rate limits; state.memory_max_keys) or site_tokens (learning.max_tokens).", "store");

    public static readonly Counter Learned = Prometheus.Metrics.CreateCounter(
        "gateway_learned_messages_total", "Messages offered to site learning, by class (spam, ham), way (cli, imap, quarantine, autolearn) and outcome (learned, duplicate, conflict, sender_capped, source_capped; for autolearn also over_allowance and unavailable).", "class", "via", "outcome");

    public static readonly Gauge SiteTokens = Prometheus.Metrics.CreateGauge(
        "gateway_site_tokens", "Tokens in the site model (state store; refreshed every minute).");

    public static readonly Gauge SiteMessages = Prometheus.Metrics.CreateGauge(
        "gateway_site_learned_messages", "Messages the site model holds, by class (refreshed every minute).", "class");

    public static readonly Histogram SiteProbability = Prometheus.Metrics.CreateHistogram(
        "gateway_site_probability", "The site model's spam probability per judged message (SITE_SPAM above 0.5, SITE_HAM below).",
        new HistogramConfiguration { Buckets = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99] });

    public static readonly Counter FuzzyLookups = Prometheus.Metrics.CreateCounter(
        "gateway_fuzzy_lookups_total", "Fuzzy hash lookups by what they found (spam, ham, both, bulk, none) or unavailable (the store did not answer).", "result");

    public static readonly Counter SiteUnavailable = Prometheus.Metrics.CreateCounter(
        "gateway_site_unavailable_total", "Messages scanned without site evidence because the state store could not be asked.");

    public static readonly Counter AntivirusScans = Prometheus.Metrics.CreateCounter(
        "gateway_antivirus_scans_total", "Streams sent to clamd (one per attachment, or per message), by result: clean, found, error (clamd down or slow; antivirus.on_error decided), skipped (over antivirus.max_size).", "result");

    public static readonly Gauge QuarantineMessages = Prometheus.Metrics.CreateGauge(
        "gateway_quarantine_messages", "Messages held in the quarantine (updated as messages are held and at the hourly sweep).");

    public static readonly Gauge QuarantineBytes = Prometheus.Metrics.CreateGauge(
        "gateway_quarantine_bytes", "Bytes held in the quarantine (updated at the hourly sweep).");

    public static readonly Counter RuleHits = Prometheus.Metrics.CreateCounter(
        "gateway_rule_hits_total", "Rules that matched, by rule name.", "rule");

    public static readonly Histogram CheckDuration = Prometheus.Metrics.CreateHistogram(
        "gateway_check_duration_seconds", "Time one check took, by check.", new HistogramConfiguration { LabelNames = ["check"], Buckets = LatencyBuckets });

    public static readonly Counter CheckFailures = Prometheus.Metrics.CreateCounter(
        "gateway_check_failures_total", "Checks that threw or timed out, by check and status.", "check", "status");

    public static readonly Histogram MessageDuration = Prometheus.Metrics.CreateHistogram(
        "gateway_message_duration_seconds", "From the end of DATA to our reply: scan, verdict and downstream DATA.", new HistogramConfiguration { Buckets = LatencyBuckets });

    public static readonly Gauge SessionsActive = Prometheus.Metrics.CreateGauge(
        "gateway_smtp_sessions_active", "SMTP sessions open now.");

    public static readonly Gauge MessageMemory = Prometheus.Metrics.CreateGauge(
        "gateway_message_memory_bytes", "Bytes of limits.max_message_memory taken now by messages being received, scanned or relayed.");

    public static readonly Counter MessageMemoryDeferred = Prometheus.Metrics.CreateCounter(
        "gateway_message_memory_deferred_total", "Answers of 452 4.3.1 because limits.max_message_memory (or the client's share of it) was spent, by stage: mail (the declared SIZE), data.", "stage");

    public static readonly Counter Sessions = Prometheus.Metrics.CreateCounter(
        "gateway_smtp_sessions_total", "SMTP sessions accepted.");

    public static readonly Counter ConnectionsRefused = Prometheus.Metrics.CreateCounter(
        "gateway_smtp_connections_refused_total", "Connections refused before the greeting, by reason: total (max_connections), per_ip (max_connections_per_ip), shutdown, proxy (no valid PROXY header), dnslist (reject_at: connect).", "reason");

    public static readonly Counter Replies = Prometheus.Metrics.CreateCounter(
        "gateway_smtp_replies_total", "Our replies to MAIL, RCPT and DATA, by stage (mail, rcpt, data) and reply class (2xx, 4xx, 5xx).", "stage", "class");

    public static readonly Counter DownstreamErrors = Prometheus.Metrics.CreateCounter(
        "gateway_downstream_errors_total", "Downstream trouble, by kind: unreachable, timeout, lost, tls (certificate or STARTTLS failed), deferred (4xx), rejected (5xx).", "kind");

    public static readonly Histogram DownstreamDuration = Prometheus.Metrics.CreateHistogram(
        "gateway_downstream_duration_seconds", "Time the downstream took to answer our DATA.", new HistogramConfiguration { Buckets = LatencyBuckets });

    public static readonly Gauge DownstreamUp = Prometheus.Metrics.CreateGauge(
        "gateway_downstream_up", "1 when every downstream route has a server up at the last probe (or the delivery directory is writable).");

    public static readonly Gauge DownstreamServerUp = Prometheus.Metrics.CreateGauge(
        "gateway_downstream_server_up", "1 while a downstream server takes sessions; 0 while it is skipped for downstream.backoff.", "server");

    public static readonly Counter DownstreamFailovers = Prometheus.Metrics.CreateCounter(
        "gateway_downstream_failovers_total", "Times a downstream server could not take a session and the next server of its route was tried.", "server");

    public static readonly Counter DnsQueries = Prometheus.Metrics.CreateCounter(
        "gateway_dns_queries_total", "DNS queries, by record type and result (ok, nxdomain, temperror).", "type", "result");

    public static readonly Histogram DnsDuration = Prometheus.Metrics.CreateHistogram(
        "gateway_dns_duration_seconds", "DNS query latency, cache hits included.", new HistogramConfiguration { Buckets = LatencyBuckets });

    public static readonly Histogram SpamProbability = Prometheus.Metrics.CreateHistogram(
        "gateway_classifier_spam_probability", "The classifier's spam probability per message.", new HistogramConfiguration { Buckets = Histogram.LinearBuckets(0.1, 0.1, 9) });

    public static readonly Counter Reloads = Prometheus.Metrics.CreateCounter(
        "gateway_reloads_total", "Reloads of hot-reloaded files, by kind (model, rules) and result (ok, failed).", "kind", "result");

    public static readonly Gauge ModelLoaded = Prometheus.Metrics.CreateGauge(
        "gateway_classifier_model_loaded", "1 while a spam model is loaded.");

    /// <summary>Every metric name above, for the dashboard and alert tests.</summary>
    /// <summary>
    /// Creates the series whose labels are known in advance at 0, so a dashboard shows "0 rejected" on a
    /// fresh gateway rather than "no data", and rate() has a starting point when the first one comes.
    /// </summary>
    public static void ShowZeros()
    {
        foreach (var action in new[] { "accept", "tag", "reject", "tempfail", "quarantine" })
        {
            Messages.WithLabels(action);
        }

        StateEvictions.WithLabels("state");
        StateEvictions.WithLabels("site_tokens");
        foreach (var kind in new[] { "rules", "model" })
        {
            Reloads.WithLabels(kind, "ok");
            Reloads.WithLabels(kind, "failed");
        }

        foreach (var kind in new[] { "unreachable", "timeout", "lost", "tls", "deferred", "rejected" })
        {
            DownstreamErrors.WithLabels(kind);
        }

        foreach (var result in new[] { "clean", "found", "error", "skipped" })
        {
            AntivirusScans.WithLabels(result);
        }

        foreach (var result in new[] { "passed", "deferred", "skipped", "unavailable" })
        {
            Greylist.WithLabels(result);
        }
    }

    public static IEnumerable<string> Names => typeof(GatewayMetrics).GetFields()
        .Select(member => member.GetValue(null))
        .OfType<Collector>()
        .Select(collector => collector.Name);
}
