using Gateway.Core.Reputation;
using Microsoft.Extensions.Logging;

namespace Gateway.Metrics;

/// <summary>
/// Counts every DNS list lookup by list and result, and warns when a list errs: at most once a minute per
/// list, because a dead list errs on every message and the log must stay readable.
/// </summary>
internal sealed class DnsListMetrics(ILogger logger, TimeProvider time) : IDnsListMonitor
{
    private readonly WarningThrottle _warnings = new(TimeSpan.FromMinutes(1), time);

    public void Looked(DnsListDefinition list, string subject, IReadOnlyList<DnsListHit> hits)
    {
        var error = hits.FirstOrDefault(hit => hit.IsError);
        var result = error is not null ? "error" : hits.Count > 0 ? "listed" : "clean";
        GatewayMetrics.DnsListLookups.WithLabels(list.Name, result).Inc();
        if (error is null)
        {
            return;
        }

        if (_warnings.ShouldWarn(list.Name))
        {
            logger.LogWarning("DNS list {List} ({Zone}) gave no usable answer: {Detail}; counted as {Symbol}, never as a listing (further errors of this list in the next minute are only counted)", list.Name, list.Zone, error.Detail, error.Symbol);
        }
    }
}
