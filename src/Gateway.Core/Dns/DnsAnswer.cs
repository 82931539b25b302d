namespace Gateway.Core.Dns;

/// <summary>How a DNS query ended. NODATA is <see cref="Ok"/> with no records.</summary>
public enum DnsStatus
{
    Ok,

    /// <summary>The name does not exist (NXDOMAIN).</summary>
    NxDomain,

    /// <summary>Timeout, SERVFAIL or a network error: try again later, never "no record".</summary>
    TempError,
}

public sealed record DnsAnswer<T>(DnsStatus Status, IReadOnlyList<T> Records)
{
    public static readonly DnsAnswer<T> NxDomain = new(DnsStatus.NxDomain, []);
    public static readonly DnsAnswer<T> TempError = new(DnsStatus.TempError, []);

    public bool IsEmpty => Records.Count == 0;
}

public sealed record MxHost(int Preference, string Host);
