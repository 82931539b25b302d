using Gateway.Core.Delivery;
using Gateway.Core.Dns;
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
    public static async Task<SmtpReply?> CheckAsync(IDnsResolver dns, DnsListsFile lists, Func<string, double> weightOf, IPAddress client, DnsListRejectAt stage, CancellationToken cancellationToken, IDnsListMonitor? monitor = null)
    {
        var refusing = await FirstListingAsync(dns, lists, weightOf, client, list => list.RejectAt == stage, weight => weight > 0, cancellationToken, monitor);
        return refusing is null ? null : new SmtpReply(554, "5.7.1", refusing.Message
            .Replace("{ip}", client.ToString(), StringComparison.Ordinal)
            .Replace("{zone}", refusing.Zone, StringComparison.Ordinal));
    }

    public static async Task<bool> IsAllowListedAsync(IDnsResolver dns, DnsListsFile lists, Func<string, double> weightOf, IPAddress client, CancellationToken cancellationToken, IDnsListMonitor? monitor = null) =>
        await FirstListingAsync(dns, lists, weightOf, client, list => list.Meanings.Any(meaning => meaning.Score < 0), weight => weight < 0, cancellationToken, monitor) is not null;

    /// <summary>The first enabled ip list (of those <paramref name="which"/> picks) whose answer, never an error, has a weight <paramref name="counts"/> accepts; all asked in parallel.</summary>
    private static async Task<DnsListDefinition?> FirstListingAsync(IDnsResolver dns, DnsListsFile lists, Func<string, double> weightOf, IPAddress client, Func<DnsListDefinition, bool> which, Func<double, bool> counts, CancellationToken cancellationToken, IDnsListMonitor? monitor)
    {
        var enabled = lists.Lists.Where(list => list.Enabled && list.Kind == DnsListKind.Ip && which(list)).ToList();
        if (enabled.Count == 0)
        {
            return null;
        }

        var answers = await Task.WhenAll(enabled.Select(list => DnsListCheck.LookupAsync(dns, list, DnsListCheck.QueryName(list, client), client.ToString(), cancellationToken, monitor)));
        for (var i = 0; i < enabled.Count; i++)
        {
            if (answers[i].Any(hit => !hit.IsError && counts(weightOf(hit.Symbol))))
            {
                return enabled[i];
            }
        }

        return null;
    }
}
