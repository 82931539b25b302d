using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MailKit.Security;

namespace Gateway.Core.Learning;

/// <summary>What one collection run did, per label: how many messages ended how (the learner's words: learned, duplicate, ...).</summary>
public sealed record CollectionReport(IReadOnlyDictionary<string, int> Spam, IReadOnlyDictionary<string, int> Ham);

/// <summary>
/// Collects users' labels over IMAP (Exchange and Dovecot both serve it), with MailKit's ImapClient:
/// everything in the Junk folder is spam; in the inbox, what the user read and kept (\Seen), or marked
/// not junk ($NotJunk / NotJunk, as Thunderbird and Apple Mail do when a message is moved out of Junk),
/// is ham, unless it carries a junk keyword. Folders are opened read-only: nothing changes on the server.
/// Each message goes to <paramref name="learn"/> (the site model, and the training store if kept), which
/// says how it ended. A message larger than <paramref name="maxSize"/> (limits.max_message_size: no such
/// message ever passed the gateway) is not downloaded, and counts as <see cref="TooLarge"/>: a mailbox is
/// reachable by mail that did not come through us, and one huge message must not take the learner's memory.
/// </summary>
public sealed class ImapCollector(Func<byte[], bool, CancellationToken, Task<string>> learn, long maxSize)
{
    public const string TooLarge = "too_large";

    private static readonly string[] NotJunkKeywords = ["$NotJunk", "NotJunk"];
    private static readonly string[] JunkKeywords = ["$Junk", "Junk"];

    public async Task<CollectionReport> CollectAsync(Uri server, string user, string password, string junkFolder, string inboxFolder, TimeSpan? since, CancellationToken cancellationToken)
    {
        using var client = new ImapClient();
        var security = server.Scheme.Equals("imaps", StringComparison.OrdinalIgnoreCase) ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTlsWhenAvailable;
        var port = server.IsDefaultPort || server.Port <= 0 ? (security == SecureSocketOptions.SslOnConnect ? 993 : 143) : server.Port;
        await client.ConnectAsync(server.Host, port, security, cancellationToken);
        await client.AuthenticateAsync(user, password, cancellationToken);

        var spam = await CollectFolderAsync(client, junkFolder, isSpam: true, since, cancellationToken);
        var ham = await CollectFolderAsync(client, inboxFolder, isSpam: false, since, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
        return new CollectionReport(spam, ham);
    }

    private async Task<Dictionary<string, int>> CollectFolderAsync(ImapClient client, string name, bool isSpam, TimeSpan? since, CancellationToken cancellationToken)
    {
        var folder = name.Equals("INBOX", StringComparison.OrdinalIgnoreCase) ? client.Inbox : await client.GetFolderAsync(name, cancellationToken);
        await folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
        SearchQuery query = since is { } window ? SearchQuery.DeliveredAfter(DateTime.UtcNow - window) : SearchQuery.All;
        var results = new Dictionary<string, int>(StringComparer.Ordinal);
        var ids = await folder.SearchAsync(query, cancellationToken);
        var summaries = ids.Count == 0 ? [] : await folder.FetchAsync(ids, MessageSummaryItems.Flags | MessageSummaryItems.UniqueId | MessageSummaryItems.Size, cancellationToken);
        foreach (var summary in summaries)
        {
            var keywords = summary.Keywords ?? new HashSet<string>();
            var junk = keywords.Any(keyword => JunkKeywords.Contains(keyword, StringComparer.OrdinalIgnoreCase));
            var notJunk = keywords.Any(keyword => NotJunkKeywords.Contains(keyword, StringComparer.OrdinalIgnoreCase));
            var seen = summary.Flags?.HasFlag(MessageFlags.Seen) == true;
            if (!isSpam && (junk || !(seen || notJunk)))
            {
                continue; // not (yet) a judgement: unread, or marked junk in the inbox
            }

            if (summary.Size is not { } size || size > maxSize)
            {
                results[TooLarge] = results.GetValueOrDefault(TooLarge) + 1;
                continue;
            }

            using var stream = await folder.GetStreamAsync(summary.UniqueId, cancellationToken);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            var result = await learn(buffer.ToArray(), isSpam, cancellationToken);
            results[result] = results.GetValueOrDefault(result) + 1;
        }

        await folder.CloseAsync(false, cancellationToken);
        return results;
    }
}
