using System.Net;

namespace Gateway.Core.Network;

public static class ClientNetwork
{
    /// <summary>
    /// The network a client address is counted by ("192.0.2.0/24", "2001:db8::/64"): senders send and retry from
    /// pools, so greylisting passes and a trap's lessons are kept per network, not per address.
    /// </summary>
    public static string Of(IPAddress client, int ipv4Prefix, int ipv6Prefix)
    {
        var bytes = client.GetAddressBytes();
        var prefix = bytes.Length == 4 ? ipv4Prefix : ipv6Prefix;
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return $"{new IPAddress(bytes)}/{prefix}";
    }
}
