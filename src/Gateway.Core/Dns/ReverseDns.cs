using System.Net.Sockets;

namespace Gateway.Core.Dns;

/// <summary>Forward-confirmed reverse DNS: a PTR name counts only when its own A/AAAA records lead back to the address.</summary>
public static class ReverseDns
{
    private const int MaxNames = 10;

    /// <summary>RFC 1035 / RFC 3596 / RFC 5782 order: 4.3.2.1 for IPv4, 32 reversed nibbles for IPv6.</summary>
    public static string ReversedLabels(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            return string.Join('.', Convert.ToHexStringLower(address.GetAddressBytes()).Reverse());
        }

        var bytes = address.GetAddressBytes();
        return $"{bytes[3]}.{bytes[2]}.{bytes[1]}.{bytes[0]}";
    }

    /// <summary>The PTR name of an address: under in-addr.arpa or ip6.arpa.</summary>
    public static string PtrName(IPAddress address) =>
        ReversedLabels(address) + (address.AddressFamily == AddressFamily.InterNetworkV6 ? ".ip6.arpa" : ".in-addr.arpa");

    public static async Task<string?> ConfirmedNameAsync(IDnsResolver dns, IPAddress address, CancellationToken cancellationToken)
    {
        var ptr = await dns.QueryPtrAsync(address, cancellationToken);
        foreach (var name in ptr.Records.Take(MaxNames))
        {
            var forward = await dns.QueryAddressesAsync(name, address.AddressFamily == AddressFamily.InterNetworkV6, cancellationToken);
            if (forward.Records.Contains(address))
            {
                return name.ToLowerInvariant();
            }
        }

        return null;
    }
}
