namespace Gateway.Core.Reputation;

/// <summary>
/// Hears the outcome of every DNS list lookup, so the host can count them per list and warn when a
/// list stops answering (Core knows neither Prometheus nor the log configuration).
/// </summary>
public interface IDnsListMonitor
{
    void Looked(DnsListDefinition list, string subject, IReadOnlyList<DnsListHit> hits);
}
