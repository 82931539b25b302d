using System.Globalization;
using System.Text;
using Gateway.Core.Delivery;
using MimeKit;

namespace Gateway.Core.Quarantine;

/// <summary>
/// The per-recipient digest: for each recipient with messages held since a moment, one plain-text
/// message listing them (date, sender, subject, score, id) and how to get one released, relayed through
/// the downstream like any other mail. Run daily (cron, a systemd timer or a Kubernetes CronJob).
/// </summary>
/// <param name="reviewLink">The recipient's own signed link to the console (web.listen set), or null: then the digest says to ask the administrator.</param>
public sealed class QuarantineDigest(QuarantineStore store, string sender, string hostname, Func<string, string?>? reviewLink = null)
{
    /// <summary>Recipient → what the digest says to them, for entries received at or after <paramref name="since"/>.</summary>
    public IReadOnlyDictionary<string, MimeMessage> Build(DateTimeOffset since)
    {
        var byRecipient = store.List()
            .Where(entry => entry.ReceivedAt >= since && !entry.Releasing)
            .SelectMany(entry => entry.Recipients.Select(recipient => (Recipient: recipient.ToLowerInvariant(), Entry: entry)))
            .GroupBy(item => item.Recipient, StringComparer.Ordinal);
        var digests = new Dictionary<string, MimeMessage>(StringComparer.Ordinal);
        foreach (var group in byRecipient)
        {
            var text = new StringBuilder();
            text.Append(CultureInfo.InvariantCulture, $"{group.Count()} message(s) addressed to you were held for review by {hostname} since {since:yyyy-MM-dd HH:mm} UTC.\n");
            text.Append(reviewLink?.Invoke(group.Key) is { } link
                ? $"They were not delivered. Review them, and release what you want, here (the link is yours alone; do not forward it):\n{link}\n\n"
                : "They were not delivered. If one is mail you want, ask your mail administrator to release it, quoting its id.\n\n");
            foreach (var (_, entry) in group.OrderBy(item => item.Entry.ReceivedAt))
            {
                text.Append(CultureInfo.InvariantCulture, $"{entry.ReceivedAt:yyyy-MM-dd HH:mm}  from {entry.From ?? entry.MailFrom ?? "(none)"}\n    subject: {entry.Subject ?? "(none)"}\n    score {entry.Score:0.0}, id {entry.Id}\n\n");
            }

            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse(sender));
            message.To.Add(MailboxAddress.Parse(group.Key));
            message.Subject = $"Held for review: {group.Count()} message(s)";
            message.Date = DateTimeOffset.UtcNow;
            message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(hostname);
            message.Headers.Add("Auto-Submitted", "auto-generated");
            message.Body = new TextPart("plain") { Text = text.ToString() };
            digests[group.Key] = message;
        }

        return digests;
    }

    /// <summary>Sends each digest through the downstream; the recipients whose digest it took.</summary>
    /// <param name="onlyFor">One recipient's digest only (a fresh link asked for on the console); null: everyone's.</param>
    public async Task<IReadOnlyList<string>> SendAsync(IDownstream downstream, DateTimeOffset since, CancellationToken cancellationToken, string? onlyFor = null)
    {
        var sent = new List<string>();
        foreach (var (recipient, message) in Build(since).Where(digest => onlyFor is null || string.Equals(digest.Key, onlyFor, StringComparison.OrdinalIgnoreCase)))
        {
            // The recipient goes with MAIL, so the downstream route is the recipient's.
            var opened = await downstream.BeginAsync(sender, new Dictionary<string, string>(), cancellationToken, recipient);
            if (opened.Transaction is not { } transaction)
            {
                continue;
            }

            await using (transaction)
            {
                if (opened.FirstRecipient is not { IsPositive: true })
                {
                    continue;
                }

                using var bytes = new MemoryStream();
                await message.WriteToAsync(bytes, cancellationToken);
                if ((await transaction.SendAsync(new System.Buffers.ReadOnlySequence<byte>(bytes.ToArray()), cancellationToken)).IsPositive)
                {
                    sent.Add(recipient);
                }
            }
        }

        return sent;
    }
}
