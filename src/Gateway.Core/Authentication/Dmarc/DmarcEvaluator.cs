using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Dns;
using MimeKit;

namespace Gateway.Core.Authentication.Dmarc;

/// <summary>
/// DMARC (RFC 9989): author domain from the From header, policy by tree walk, SPF and DKIM alignment
/// (relaxed through the Organizational Domain, or strict), p / sp / np by where the record stands and
/// whether the author domain exists.
/// </summary>
public sealed class DmarcEvaluator(IDnsResolver dns)
{
    /// <summary>
    /// Asks for the _dmarc record of each From domain (the first name of its tree walk, which evaluation
    /// always reads) without waiting, so the lookup overlaps SPF, DKIM and ARC; evaluation later reads it
    /// from the resolver's cache or the query already on the wire. No name is asked that evaluation would
    /// not ask: nothing for a From of more than <see cref="MaxAuthorDomains"/> domains, which is refused unasked.
    /// </summary>
    public void StartLookups(MimeMessage message)
    {
        var domains = AuthorDomains(message) ?? [];
        if (domains.Count > MaxAuthorDomains)
        {
            return;
        }

        foreach (var domain in domains)
        {
            _ = dns.QueryTxtAsync($"_dmarc.{domain}", CancellationToken.None).ContinueWith(
                static lookup => _ = lookup.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// From domains evaluated at most. Each costs a tree walk of DNS queries, one after the other, so a From
    /// naming hundreds of domains (the first one a p=reject bank) would run the check into its time limit
    /// and escape the bank's policy as a check error. More than this many is a permerror that
    /// <see cref="DmarcCheck"/> refuses; no legitimate message has that many authors' domains.
    /// </summary>
    public const int MaxAuthorDomains = 5;

    public async Task<DmarcOutcome> EvaluateAsync(MimeMessage message, string? mailFrom, SpfOutcome? spf, IReadOnlyList<DkimSignatureResult> dkim, CancellationToken cancellationToken)
    {
        var domains = AuthorDomains(message);
        if (domains is null)
        {
            return new DmarcOutcome(AuthResult.PermError, null, Reason: "the message has no single usable From address");
        }

        if (domains.Count > MaxAuthorDomains)
        {
            return new DmarcOutcome(AuthResult.PermError, domains[0], Reason: $"the From field names {domains.Count} domains; at most {MaxAuthorDomains} are evaluated", TooManyAuthorDomains: true);
        }

        var walk = new DmarcTreeWalk(dns);
        try
        {
            // Several From addresses in different domains: each is evaluated, the strictest outcome counts.
            var outcomes = new List<DmarcOutcome>();
            foreach (var domain in domains)
            {
                outcomes.Add(await EvaluateDomainAsync(walk, domain, mailFrom, spf, dkim, cancellationToken));
            }

            return outcomes.OrderByDescending(Severity).First();
        }
        catch (DmarcTreeWalk.TempErrorException exception)
        {
            return new DmarcOutcome(AuthResult.TempError, domains[0], Reason: exception.Message);
        }
    }

    private async Task<DmarcOutcome> EvaluateDomainAsync(DmarcTreeWalk walk, string fromDomain, string? mailFrom, SpfOutcome? spf, IReadOnlyList<DkimSignatureResult> dkim, CancellationToken cancellationToken)
    {
        var found = await walk.FindPolicyAsync(fromDomain, cancellationToken);
        if (found is null)
        {
            return new DmarcOutcome(AuthResult.None, fromDomain, Reason: "no DMARC record");
        }

        var record = found.Record;
        var spfDomain = SpfDomain(mailFrom, spf);
        var spfAligned = spfDomain is not null && await AlignedAsync(walk, spfDomain, fromDomain, record.StrictSpf, cancellationToken);
        var dkimAligned = false;
        foreach (var signature in dkim.Where(signature => signature.Result == AuthResult.Pass))
        {
            if (await AlignedAsync(walk, signature.Domain, fromDomain, record.StrictDkim, cancellationToken))
            {
                dkimAligned = true;
                break;
            }
        }

        var policy = found.Domain.Equals(fromDomain, StringComparison.OrdinalIgnoreCase) ? record.Policy
            : await DomainExistsAsync(fromDomain, cancellationToken) ? record.SubdomainPolicy
            : record.NonexistentPolicy;
        var result = spfAligned || dkimAligned ? AuthResult.Pass : AuthResult.Fail;
        var reason = result == AuthResult.Pass ? null : "neither SPF nor DKIM passed aligned with the From domain";
        return new DmarcOutcome(result, fromDomain, policy, record.Testing, found.Domain, spfAligned, dkimAligned, reason, Record: record);
    }

    /// <summary>SPF counts for DMARC only for the MAIL FROM identity, and only when it passed.</summary>
    private static string? SpfDomain(string? mailFrom, SpfOutcome? spf)
    {
        if (spf?.Result != SpfResult.Pass || string.IsNullOrEmpty(mailFrom))
        {
            return null;
        }

        var at = mailFrom.LastIndexOf('@');
        return at < 0 ? null : mailFrom[(at + 1)..];
    }

    private static async Task<bool> AlignedAsync(DmarcTreeWalk walk, string identifier, string fromDomain, bool strict, CancellationToken cancellationToken)
    {
        identifier = identifier.TrimEnd('.');
        if (identifier.Equals(fromDomain, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (strict)
        {
            return false;
        }

        var organizational = await walk.OrganizationalDomainAsync(fromDomain, cancellationToken);
        return organizational.Equals(await walk.OrganizationalDomainAsync(identifier, cancellationToken), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>RFC 9989: a domain that answers NXDOMAIN for A, AAAA and MX does not exist (np= applies).</summary>
    private async Task<bool> DomainExistsAsync(string domain, CancellationToken cancellationToken)
    {
        var a = dns.QueryAddressesAsync(domain, ipv6: false, cancellationToken);
        var aaaa = dns.QueryAddressesAsync(domain, ipv6: true, cancellationToken);
        var mx = dns.QueryMxAsync(domain, cancellationToken);
        await Task.WhenAll(a, aaaa, mx);
        DnsStatus[] lookups = [(await a).Status, (await aaaa).Status, (await mx).Status];
        if (lookups.Contains(DnsStatus.TempError))
        {
            throw new DmarcTreeWalk.TempErrorException(domain);
        }

        return !lookups.All(status => status == DnsStatus.NxDomain);
    }

    /// <summary>Distinct author domains, or null when there is no usable From (RFC 9989 section 4.4: exactly one, or several to check each).</summary>
    private static List<string>? AuthorDomains(MimeMessage message)
    {
        var fromHeaders = message.Headers.Count(header => header.Id == HeaderId.From);
        var addresses = message.From.Mailboxes.ToList();
        if (fromHeaders != 1 || addresses.Count == 0 || addresses.Any(address => string.IsNullOrEmpty(address.Domain)))
        {
            return null;
        }

        return [.. addresses.Select(address => address.Domain.TrimEnd('.').ToLowerInvariant()).Distinct()];
    }

    private static int Severity(DmarcOutcome outcome) => outcome.Result switch
    {
        AuthResult.Fail => 10 + (int)outcome.EffectivePolicy,
        AuthResult.TempError => 5,
        AuthResult.None => 1,
        _ => 0,
    };
}
