using Gateway.Core.Configuration;
using Gateway.Core.Dns;
using MimeKit;

namespace Gateway.Core.DmarcReports;

/// <summary>
/// Counts DMARC evaluations and, once a period is over, sends each policy domain that asked (rua=) its aggregate
/// report: claimed first in the shared store, so instances send one report, not one each; gzipped XML mailed to
/// every rua= address through dmarc_reports.relay. A report larger than an address's "!size" is not sent there;
/// an address outside the policy domain's organisation gets it only when that domain authorises it with a
/// "v=DMARC1" TXT record at POLICY._report._dmarc.RUA-DOMAIN (RFC 7489 7.1), checked in DNS.
/// </summary>
public sealed class DmarcReporter(IDmarcReportStore store, DmarcReportsOptions options, string hostname, IDnsResolver? dns, TimeProvider time, IDmarcReportSender sender)
{
    public DmarcReporterIdentity Identity { get; } = new(options.OrgName.Length > 0 ? options.OrgName : hostname, options.From, options.Contact);

    public long PeriodOf(DateTimeOffset moment) => moment.ToUnixTimeSeconds() / (long)options.Interval.TotalSeconds;

    public (DateTimeOffset Begin, DateTimeOffset End) RangeOf(long period)
    {
        var seconds = (long)options.Interval.TotalSeconds;
        return (DateTimeOffset.FromUnixTimeSeconds(period * seconds), DateTimeOffset.FromUnixTimeSeconds(((period + 1) * seconds) - 1));
    }

    public Task RecordAsync(DmarcObservation observation, CancellationToken cancellationToken) =>
        store.AddAsync(PeriodOf(observation.Time), observation, cancellationToken);

    /// <summary>Sends the reports of the period that ended last; what happened, one line per domain and address.</summary>
    public async Task<IReadOnlyList<string>> SendDueAsync(CancellationToken cancellationToken)
    {
        var period = PeriodOf(time.GetUtcNow()) - 1;
        var said = new List<string>();
        foreach (var domain in await store.DomainsAsync(period, cancellationToken))
        {
            if (!await store.ClaimAsync(period, domain, cancellationToken) || await store.ReadAsync(period, domain, cancellationToken) is not { } data)
            {
                continue; // another instance has it
            }

            var (begin, end) = RangeOf(period);
            var reportId = $"{period}.{domain}@{hostname}";
            byte[] report;
            try
            {
                report = DmarcReportXml.Gzip(DmarcReportXml.Build(Identity, reportId, begin, end, data.Policy, data.Rows));
            }
            catch (ArgumentException exception)
            {
                // What XML cannot carry (a control character in a DKIM selector the sender wrote): this domain's report is
                // lost, not every other domain's after it.
                said.Add($"{domain}: not sent: {exception.Message}");
                continue;
            }

            var unreachable = false;
            foreach (var address in data.Policy.Rua)
            {
                var (outcome, relayDown) = await DeliverAsync(domain, address, report, reportId, begin, end, cancellationToken);
                unreachable |= relayDown;
                said.Add($"{domain} -> {address.Address}: {outcome}");
            }

            if (unreachable)
            {
                // The relay did not take it: the next round (on any instance) tries the domain again.
                await store.ReleaseAsync(period, domain, cancellationToken);
            }
        }

        return said;
    }

    /// <returns>What happened, and whether the relay could not be reached (worth another try).</returns>
    private async Task<(string Outcome, bool RelayDown)> DeliverAsync(string domain, Authentication.Dmarc.DmarcReportAddress address, byte[] report, string reportId, DateTimeOffset begin, DateTimeOffset end, CancellationToken cancellationToken)
    {
        if (address.MaxBytes is { } limit && report.Length > limit)
        {
            return ($"not sent: {report.Length} bytes over its limit of {limit}", false);
        }

        if (!SameOrganisation(domain, address.Domain) && !await AuthorisedAsync(domain, address.Domain, cancellationToken))
        {
            return ($"not sent: {address.Domain} does not authorise reports for {domain} ({domain}._report._dmarc.{address.Domain})", false);
        }

        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(options.From));
        message.To.Add(MailboxAddress.Parse(address.Address));
        message.Subject = $"Report Domain: {domain} Submitter: {Identity.OrgName} Report-ID: <{reportId}>";
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId(hostname);
        var body = new BodyBuilder { TextBody = $"DMARC aggregate report for {domain}, {begin:u} to {end:u}, from {Identity.OrgName}.\n" };
        body.Attachments.Add(DmarcReportXml.FileName(hostname, domain, begin, end), report, new ContentType("application", "gzip"));
        message.Body = body.ToMessageBody();
        try
        {
            await sender.SendAsync(message, cancellationToken);
            return ($"sent ({report.Length} bytes)", false);
        }
        catch (MailKit.CommandException exception)
        {
            return ($"not sent: the relay refused it: {exception.Message}", false);
        }
        catch (Exception exception) when (exception is IOException or System.Net.Sockets.SocketException or MailKit.ProtocolException or TimeoutException)
        {
            return ($"not sent, will try again: {exception.Message}", true);
        }
    }

    private static bool SameOrganisation(string policyDomain, string reportDomain) =>
        string.Equals(Organisation(policyDomain), Organisation(reportDomain), StringComparison.OrdinalIgnoreCase);

    private static string Organisation(string domain) => PublicSuffixList.Shipped.RegisteredDomain(domain.TrimEnd('.').ToLowerInvariant()) ?? domain;

    private async Task<bool> AuthorisedAsync(string policyDomain, string reportDomain, CancellationToken cancellationToken)
    {
        if (dns is null)
        {
            return false; // offline: cannot check, so not sent
        }

        var answer = await dns.QueryTxtAsync($"{policyDomain}._report._dmarc.{reportDomain}", cancellationToken);
        return answer.Records.Any(text => text.TrimStart().StartsWith("v=DMARC1", StringComparison.OrdinalIgnoreCase));
    }
}

public static class DmarcReporters
{
    /// <summary>
    /// The reporter dmarc_reports asks for (null when off): counts on the state backend (Redis, shared by instances,
    /// kept three periods; memory otherwise), reports through the relay, third-party rua= checked with <paramref name="dns"/>.
    /// </summary>
    public static DmarcReporter? For(GatewayOptions options, State.IStateStore? state, IDnsResolver? dns)
    {
        if (!options.DmarcReports.Enabled || options.DmarcReports.RelayEndPoint is not { } relay)
        {
            return null;
        }

        IDmarcReportStore store = state is State.RedisStateStore redis
            ? new RedisDmarcReportStore(redis.Connection, options.State.KeyPrefix, options.DmarcReports.Interval * 3)
            : new MemoryDmarcReportStore();
        return new DmarcReporter(store, options.DmarcReports, options.Hostname, dns, TimeProvider.System, new RelayReportSender(relay, options.Hostname));
    }
}

/// <summary>Puts a report on its way (MailKit through dmarc_reports.relay in the gateway; a test may catch it).</summary>
public interface IDmarcReportSender
{
    Task SendAsync(MimeMessage message, CancellationToken cancellationToken);
}

/// <summary>Reports through the relay, plain SMTP (the site's own outbound relay, on its own network).</summary>
public sealed class RelayReportSender(System.Net.IPEndPoint relay, string hostname) : IDmarcReportSender
{
    public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        using var client = new MailKit.Net.Smtp.SmtpClient { Timeout = 30_000, LocalDomain = hostname };
        await client.ConnectAsync(relay.Address.ToString(), relay.Port, MailKit.Security.SecureSocketOptions.None, cancellationToken);
        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
