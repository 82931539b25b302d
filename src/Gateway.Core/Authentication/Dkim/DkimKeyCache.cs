using System.Collections.Concurrent;
using Org.BouncyCastle.Crypto;

namespace Gateway.Core.Authentication.Dkim;

/// <summary>
/// Parsed DKIM public keys by the exact text of their DNS record, shared by every message. Parsing is
/// not cheap: BouncyCastle's RsaKeyParameters checks a new modulus with a Miller-Rabin test, about 10 ms
/// of CPU for a 2048-bit key — measured as most of the gateway's CPU per message once DNS answers
/// came from its cache (bench/RESULTS.md, "Performance as it will be lived"). The DNS answer itself
/// still comes through the resolver and its TTL every time; only the same record text maps to the same
/// key, so a key rotated or revoked in DNS is seen as soon as the resolver sees it.
/// </summary>
public static class DkimKeyCache
{
    /// <summary>Keys kept; a full cache is emptied and refilled (signers are few, a flood of unique keys gains nothing).</summary>
    public const int Capacity = 10_000;

    private static readonly ConcurrentDictionary<string, AsymmetricKeyParameter> Keys = new(StringComparer.Ordinal);

    public static AsymmetricKeyParameter GetOrParse(string record, Func<string, AsymmetricKeyParameter> parse)
    {
        if (Keys.TryGetValue(record, out var key))
        {
            return key;
        }

        key = parse(record);
        if (Keys.Count >= Capacity)
        {
            Keys.Clear();
        }

        Keys[record] = key;
        return key;
    }
}
