using Gateway.Core.Delivery;
using Gateway.Core.Dns;
using Gateway.Core.Scoring;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Reputation;

/// <summary>
/// What the ip lists say about a client before any content is read. Postscreen-style early refusal:
/// lists with <c>reject_at: connect</c> or <c>rcpt</c> refuse a listed client with 554 5.7.1 and the
/// list's message; only a listing with a positive score refuses, DNS errors, error answers and allow
/// lists never do. And the other way round: whether an allow list (a listing with a negative score,
/// e.g. DNSWL) vouches for it, for greylisting.
/// </summary>
public static class DnsListRefusal
{
    public static async Task<SmtpReply?> CheckAsync(IDnsResolver dns, ScoringPolicy policy, IPAddress client, DnsListRejectAt stage, CancellationToken cancellationToken, IDnsListMonitor? monitor = null)
    {
        var refusing = await FirstListingAsync(dns, policy, client, list => list.RejectAt == stage, weight => weight > 0, cancellationToken, monitor);
        return refusing is null ? null : new SmtpReply(554, "5.7.1", refusing.Message
            .Replace("{ip}", client.ToString(), StringComparison.Ordinal)
            .Replace("{zone}", refusing.Zone, StringComparison.Ordinal));
    }

    public static async Task<bool> IsAllowListedAsync(IDnsResolver dns, ScoringPolicy policy, IPAddress client, CancellationToken cancellationToken, IDnsListMonitor? monitor = null) =>
        await FirstListingAsync(dns, policy, client, list => list.Meanings.Any(meaning => meaning.Score < 0), weight => weight < 0, cancellationToken, monitor) is not null;

    /// <summary>The first enabled ip list (of those <paramref name="which"/> picks) whose answer, never an error, has a weight <paramref name="counts"/> accepts; all asked in parallel.</summary>
    private static async Task<DnsListDefinition?> FirstListingAsync(IDnsResolver dns, ScoringPolicy policy, IPAddress client, Func<DnsListDefinition, bool> which, Func<double, bool> counts, CancellationToken cancellationToken, IDnsListMonitor? monitor)
    {
        var lists = policy.Lists.Lists.Where(list => list.Enabled && list.Kind == DnsListKind.Ip && which(list)).ToList();
        if (lists.Count == 0)
        {
            return null;
        }

        var answers = await Task.WhenAll(lists.Select(list => DnsListCheck.LookupAsync(dns, list, DnsListCheck.QueryName(list, client), client.ToString(), cancellationToken, monitor)));
        for (var i = 0; i < lists.Count; i++)
        {
            if (answers[i].Any(hit => !hit.IsError && counts(policy.WeightOf(hit.Symbol))))
            {
                return lists[i];
            }
        }

        return null;
    }
}
