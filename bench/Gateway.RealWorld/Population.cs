using System.Security.Cryptography;
using MimeKit;
using MimeKit.Cryptography;

namespace Gateway.RealWorld;

/// <summary>
/// A generated sending population and the messages it sends. Each sending domain <c>dN.senders.test</c>
/// has an SPF record that costs five lookups before it passes (a:, mx and its host, an include), a
/// 2048-bit DKIM key, a DMARC record; each client address 198.18.1.X has a PTR whose A record leads back;
/// two ip lists and one domain list list a few of them. Messages are real ones from ../shared/corpus and
/// ../shared/corpus-modern, a quarter from each class and era, sizes as they are, rewritten to come
/// from a population domain and DKIM-signed by it (their own old signatures removed); one in five has
/// two or three recipients.
/// </summary>
internal static class Population
{
    /// <summary>
    /// Client addresses from RFC 2544's benchmarking range, named to every target in a PROXY header (no
    /// packet goes there): a loopback client would be "local" to rspamd, which then skips SPF and its lists.
    /// </summary>
    public const string ClientPrefix = "198.18.1.";
    public const int Clients = 250;

    public static async Task<int> PrepareAsync(string shared, string output, int domains, int messages, int ttl)
    {
        Directory.CreateDirectory(Path.Combine(output, "messages"));
        var zone = new List<string>();
        var signers = new DkimSigner[domains];
        for (var i = 0; i < domains; i++)
        {
            var domain = Domain(i);
            using var rsa = RSA.Create(2048);
            signers[i] = new DkimSigner(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(rsa.ExportRSAPrivateKeyPem())), domain, "bench")
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
            zone.Add(Zone.Line(domain, "TXT", ttl, $"v=spf1 a:out.{domain} mx include:_spf.{domain} -all"));
            zone.Add(Zone.Line($"out.{domain}", "A", ttl, $"192.0.2.{i % 250 + 1}"));
            zone.Add(Zone.Line(domain, "MX", ttl, $"10 mx.{domain}"));
            zone.Add(Zone.Line($"mx.{domain}", "A", ttl, $"198.51.100.{i % 250 + 1}"));
            zone.Add(Zone.Line($"_spf.{domain}", "TXT", ttl, "v=spf1 ip4:198.18.0.0/15 -all"));
            zone.Add(Zone.Line($"bench._domainkey.{domain}", "TXT", ttl, $"v=DKIM1; k=rsa; p={Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo())}"));
            zone.Add(Zone.Line($"_dmarc.{domain}", "TXT", ttl, "v=DMARC1; p=none"));
        }

        for (var x = 1; x <= Clients; x++)
        {
            zone.Add(Zone.Line($"{x}.1.18.198.in-addr.arpa", "PTR", ttl, $"mail{x}.clients.test"));
            zone.Add(Zone.Line($"mail{x}.clients.test", "A", ttl, $"{ClientPrefix}{x}"));
        }

        // A few listed clients and link domains, so the lists answer yes sometimes.
        foreach (var x in new[] { 7, 77, 177 })
        {
            zone.Add(Zone.Line($"{x}.1.18.198.bl1.lists.test", "A", ttl, "127.0.0.2"));
            zone.Add(Zone.Line($"{x}.1.18.198.bl2.lists.test", "A", ttl, "127.0.0.2"));
        }

        await File.WriteAllLinesAsync(Path.Combine(output, "zone.txt"), zone);

        var random = new Random(24);
        var sources = new[] { "corpus/ham", "corpus/spam", "corpus-modern/ham", "corpus-modern/spam" }
            .Select(folder => Directory.EnumerateFiles(Path.Combine(shared, folder), "*", SearchOption.AllDirectories)
                .Where(file => !file.EndsWith(".md", StringComparison.Ordinal) && !file.EndsWith(".tsv", StringComparison.Ordinal) && !Path.GetFileName(file).StartsWith("cmds", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)
                .ToArray())
            .ToArray();
        var envelopes = new List<string>();
        for (var n = 0; n < messages; n++)
        {
            var pool = sources[n % sources.Length];
            var file = pool[random.Next(pool.Length)];
            var domainIndex = random.Next(domains);
            var domain = Domain(domainIndex);
            MimeMessage message;
            try
            {
                message = await MimeMessage.LoadAsync(file);
            }
            catch (FormatException)
            {
                n--;
                continue;
            }

            foreach (var field in new[] { "DKIM-Signature", "ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results", "Authentication-Results" })
            {
                message.Headers.RemoveAll(field);
            }

            var sender = $"user{random.Next(1000)}@{domain}";
            message.From.Clear();
            message.From.Add(new MailboxAddress("Bench Sender", sender));
            var recipients = Enumerable.Range(0, random.Next(5) == 0 ? random.Next(2, 4) : 1).Select(_ => $"user{random.Next(50)}@example.test").Distinct().ToList();
            message.To.Clear();
            message.To.AddRange(recipients.Select(recipient => MailboxAddress.Parse(recipient)));
            message.Date = DateTimeOffset.UtcNow;
            message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(domain);
            signers[domainIndex].Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
            var name = $"{n:D5}.eml";
            await using (var stream = File.Create(Path.Combine(output, "messages", name)))
            {
                await message.WriteToAsync(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, stream);
            }

            envelopes.Add($"{name}\tbounce@{domain}\t{string.Join(',', recipients)}\t{Path.GetRelativePath(shared, file)}");
        }

        await File.WriteAllLinesAsync(Path.Combine(output, "envelopes.tsv"), envelopes);
        Console.Error.WriteLine($"population: {domains} domains, {Clients} clients, {zone.Count} records, {envelopes.Count} messages in {output}");
        return 0;
    }

    public static string Domain(int index) => $"d{index}.senders.test";
}
