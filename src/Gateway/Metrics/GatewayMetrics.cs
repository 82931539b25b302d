using Prometheus;

namespace Gateway.Metrics;

/// <summary>Every metric the gateway exports, defined in one place (names follow Prometheus conventions).</summary>
internal static class GatewayMetrics
{
    public static readonly Counter Messages = Prometheus.Metrics.CreateCounter(
        "gateway_messages_total", "Messages that reached a verdict, by action.", "action");

    public static readonly Counter Replies = Prometheus.Metrics.CreateCounter(
        "gateway_data_replies_total", "Final replies to DATA, by reply class (2xx, 4xx, 5xx).", "class");

    public static readonly Gauge SessionsActive = Prometheus.Metrics.CreateGauge(
        "gateway_smtp_sessions_active", "SMTP sessions open now.");

    public static readonly Counter ConnectionsRefused = Prometheus.Metrics.CreateCounter(
        "gateway_smtp_connections_refused_total", "Connections refused with 421 because max_connections was reached.");
}
