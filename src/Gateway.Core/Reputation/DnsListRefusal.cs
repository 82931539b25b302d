using Gateway.Core.Delivery;
using Gateway.Core.Dns;
using Gateway.Core.Scoring;

namespace Gateway.Core.Reputation;

/// <summary>
/// Postscreen-style early refusal: ip lists with <c>reject_at: connect</c> or <c>rcpt</c> refuse a listed
/// client with 554 5.7.1 and the list's message before any content is read. Only a listing with a
/// positive score refuses: DNS errors, error answers and allow lists never do.
/// </summary>
public static class DnsListRefusal
{
    public static async Task<SmtpReply?> CheckAsync(IDnsResolver dns, ScoringPolicy policy, IPAddress client, DnsListRejectAt stage, CancellationToken cancellationToken, IDnsListMonitor? monitor = null)
    {
        var lists = policy.Lists.Lists.Where(list => list.Enabled && list.Kind == DnsListKind.Ip && list.RejectAt == stage).ToList();
        if (lists.Count == 0)
        {
            return null;
        }

        var lookups = lists.Select(list => DnsListCheck.LookupAsync(dns, list, DnsListCheck.QueryName(list, client), client.ToString(), cancellationToken, monitor)).ToList();
        var answers = await Task.WhenAll(lookups);
        for (var i = 0; i < lists.Count; i++)
        {
            if (answers[i].Any(hit => !hit.IsError && policy.WeightOf(hit.Symbol) > 0))
            {
                var list = lists[i];
                return new SmtpReply(554, "5.7.1", list.Message
                    .Replace("{ip}", client.ToString(), StringComparison.Ordinal)
                    .Replace("{zone}", list.Zone, StringComparison.Ordinal));
            }
        }

        return null;
    }
}
