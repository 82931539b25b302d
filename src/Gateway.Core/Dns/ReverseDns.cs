using System.Net.Sockets;

namespace Gateway.Core.Dns;

/// <summary>Forward-confirmed reverse DNS: a PTR name counts only when its own A/AAAA records lead back to the address.</summary>
public static class ReverseDns
{
    private const int MaxNames = 10;

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
