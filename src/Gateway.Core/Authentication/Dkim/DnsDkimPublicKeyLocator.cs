using System.Collections.Concurrent;
using Gateway.Core.Dns;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Gateway.Core.Authentication.Dkim;

/// <summary>
/// MimeKit's key locator over our resolver: TXT at selector._domainkey.domain. DNS outcomes become
/// distinguishable exceptions, so the check can tell permerror (no key, revoked key, bad record) from
/// temperror (DNS trouble). Keys found are remembered for the message, to report weak keys.
/// </summary>
public sealed class DnsDkimPublicKeyLocator(IDnsResolver dns) : DkimPublicKeyLocatorBase
{
    public ConcurrentDictionary<(string Domain, string Selector), AsymmetricKeyParameter> Located { get; } = new();

    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the gateway verifies asynchronously only");

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        if (!methods.Split(':').Any(method => method.Trim().Equals("dns/txt", StringComparison.OrdinalIgnoreCase)))
        {
            throw new DkimKeyException($"unsupported query method q={methods}", temporary: false);
        }

        var name = $"{selector}._domainkey.{domain}";
        var answer = await dns.QueryTxtAsync(name, cancellationToken);
        if (answer.Status == DnsStatus.TempError)
        {
            throw new DkimKeyException($"DNS error looking up {name}", temporary: true);
        }

        if (answer.Records.Count == 0)
        {
            throw new DkimKeyException($"no key at {name}", temporary: false);
        }

        try
        {
            var key = DkimKeyCache.GetOrParse(answer.Records[0], ParseKey);
            Located[(domain.ToLowerInvariant(), selector)] = key;
            return key;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Whatever the parsers throw on a malformed key (BouncyCastle's ASN.1 reader has IOException,
            // InvalidCastException, ...): it is this signature's permerror, never the whole check's failure.
            throw new DkimKeyException($"key record at {name} is unusable (revoked or malformed): {exception.Message}", temporary: false);
        }
    }

    /// <summary>
    /// MimeKit's parser expects p= as SubjectPublicKeyInfo (RFC 6376 3.6.1). Some domains publish the bare
    /// PKCS#1 RSAPublicKey instead (as RFC 6376's own example does); those keys are accepted too.
    /// </summary>
    private static AsymmetricKeyParameter ParseKey(string record)
    {
        try
        {
            return GetPublicKey(record);
        }
        catch (Exception exception) when (exception is MimeKit.ParseException or ArgumentException && DkimTags.Parse(record).GetValueOrDefault("p") is { Length: > 0 } p && IsRsa(record))
        {
            var rsa = Org.BouncyCastle.Asn1.X509.RsaPublicKeyStructure.GetInstance(Org.BouncyCastle.Asn1.Asn1Object.FromByteArray(Convert.FromBase64String(p)));
            return new Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters(false, rsa.Modulus, rsa.PublicExponent);
        }
    }

    private static bool IsRsa(string record) => DkimTags.Parse(record).GetValueOrDefault("k", "rsa").Equals("rsa", StringComparison.OrdinalIgnoreCase);
}

public sealed class DkimKeyException(string message, bool temporary) : Exception(message)
{
    public bool IsTemporary { get; } = temporary;
}
