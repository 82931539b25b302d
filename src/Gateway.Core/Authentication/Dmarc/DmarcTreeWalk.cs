using Gateway.Core.Dns;

namespace Gateway.Core.Authentication.Dmarc;

/// <summary>
/// The DNS Tree Walk of RFC 9989 section 4.10: at most 8 queries for _dmarc records, from the domain
/// up towards the top, jumping to 7 labels when a name is longer. It finds the policy record for a
/// domain and the Organizational Domain (psd= boundaries), so no Public Suffix List is needed.
/// Results are cached for the message (alignment asks about the same names repeatedly).
/// </summary>
public sealed class DmarcTreeWalk(IDnsResolver dns)
{
    private const int MaxQueries = 8;
    private readonly Dictionary<string, Task<Level?>> _records = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>One step of the walk: the domain queried and its valid record, if it has exactly one.</summary>
    public sealed record Level(string Domain, DmarcRecord Record);

    public sealed class TempErrorException(string domain) : Exception($"DNS error looking up _dmarc.{domain}");

    /// <summary>The names the walk queries, in order.</summary>
    public static IReadOnlyList<string> Names(string domain)
    {
        var labels = domain.TrimEnd('.').Split('.');
        var names = new List<string> { string.Join('.', labels) };
        var count = labels.Length > MaxQueries ? MaxQueries - 1 : labels.Length - 1;
        for (; count >= 1 && names.Count < MaxQueries; count--)
        {
            names.Add(string.Join('.', labels[^count..]));
        }

        return names;
    }

    /// <summary>Policy discovery: the first valid record on the walk, or null.</summary>
    public async Task<Level?> FindPolicyAsync(string domain, CancellationToken cancellationToken)
    {
        foreach (var name in Names(domain))
        {
            if (await RecordAtAsync(name, cancellationToken) is { } level)
            {
                return level;
            }
        }

        return null;
    }

    /// <summary>
    /// The Organizational Domain (RFC 9989 4.10.2): where psd=n stands, one label below where psd=y stands,
    /// else the shortest domain on the walk with a record; with no record at all, the domain itself.
    /// </summary>
    public async Task<string> OrganizationalDomainAsync(string domain, CancellationToken cancellationToken)
    {
        var labels = domain.TrimEnd('.').ToLowerInvariant().Split('.');
        string? shortest = null;
        foreach (var name in Names(domain))
        {
            if (await RecordAtAsync(name, cancellationToken) is not { } level)
            {
                continue;
            }

            switch (level.Record.Psd)
            {
                case 'n':
                    return name.ToLowerInvariant();
                case 'y':
                    var depth = name.Split('.').Length;
                    return depth >= labels.Length ? name.ToLowerInvariant() : string.Join('.', labels[^(depth + 1)..]);
                default:
                    shortest = name.ToLowerInvariant();
                    break;
            }
        }

        return shortest ?? domain.TrimEnd('.').ToLowerInvariant();
    }

    private Task<Level?> RecordAtAsync(string domain, CancellationToken cancellationToken)
    {
        lock (_records)
        {
            if (!_records.TryGetValue(domain, out var task))
            {
                task = QueryAsync(domain, cancellationToken);
                _records[domain] = task;
            }

            return task;
        }
    }

    private async Task<Level?> QueryAsync(string domain, CancellationToken cancellationToken)
    {
        var answer = await dns.QueryTxtAsync($"_dmarc.{domain}", cancellationToken);
        if (answer.Status == DnsStatus.TempError)
        {
            throw new TempErrorException(domain);
        }

        var records = answer.Records
            .Where(text => text.StartsWith("v=DMARC1", StringComparison.Ordinal))
            .Select(DmarcRecord.Parse)
            .OfType<DmarcRecord>()
            .ToList();

        // More than one record at a name is as if there were none (RFC 9989 4.10, RFC 7489 6.6.3).
        return records.Count == 1 ? new Level(domain, records[0]) : null;
    }
}
