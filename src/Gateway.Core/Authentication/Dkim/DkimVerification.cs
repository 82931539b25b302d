using System.Globalization;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;

namespace Gateway.Core.Authentication.Dkim;

/// <summary>
/// Verifies every DKIM-Signature of a message with MimeKit's DkimVerifier (rsa-sha256 and ed25519-sha256;
/// rsa-sha1 is refused per RFC 8301, RSA keys under 1024 bits fail) and reports each one — the first
/// <see cref="MaxSignatures"/> of them.
/// </summary>
public sealed class DkimVerification(Dns.IDnsResolver dns, TimeProvider time)
{
    /// <summary>
    /// Signatures verified per message, topmost first (the newest, added by the last hops). Each costs a
    /// DNS lookup, a key parse and a body hash: without a limit one message with a thousand signatures,
    /// each naming its own key in the sender's zone, costs seconds of CPU. OpenDKIM's
    /// MaximumSignaturesToVerify does the same; real mail carries one to three.
    /// </summary>
    public const int MaxSignatures = 5;

    public Task<IReadOnlyList<DkimSignatureResult>> VerifyAsync(MimeMessage message, CancellationToken cancellationToken) =>
        VerifyAsync(message, ReadOnlyMemory<byte>.Empty, cancellationToken);

    /// <param name="raw">The message exactly as received, when there is one: rsa-sha256 signatures are then checked on it with .NET's own crypto first (<see cref="DkimFastPath"/>), MimeKit deciding whatever that does not pass.</param>
    public async Task<IReadOnlyList<DkimSignatureResult>> VerifyAsync(MimeMessage message, ReadOnlyMemory<byte> raw, CancellationToken cancellationToken)
    {
        var locator = new DnsDkimPublicKeyLocator(dns);
        var verifier = new DkimVerifier(locator);
        var results = new List<DkimSignatureResult>();
        var fast = raw.IsEmpty ? null : DkimFastPath.Read(raw, message);
        var index = 0;
        foreach (var header in message.Headers.Where(header => header.Id == HeaderId.DkimSignature).Take(MaxSignatures))
        {
            results.Add(await VerifyOneAsync(verifier, locator, message, fast, index++, header, cancellationToken));
        }

        return results;
    }

    private async Task<DkimSignatureResult> VerifyOneAsync(DkimVerifier verifier, DnsDkimPublicKeyLocator locator, MimeMessage message, DkimFastPath.RawMessage? fast, int index, Header header, CancellationToken cancellationToken)
    {
        var tags = DkimTags.Parse(header.Value);
        var domain = tags.GetValueOrDefault("d", string.Empty).ToLowerInvariant();
        var selector = tags.GetValueOrDefault("s", string.Empty);
        var algorithm = tags.GetValueOrDefault("a", string.Empty).ToLowerInvariant();
        var limited = tags.ContainsKey("l");
        var headerB = tags.TryGetValue("b", out var b) && b.Length >= 8 ? b[..8] : null;
        DkimSignatureResult Result(AuthResult result, string? reason = null) => new(result, domain, selector, algorithm, reason, limited, headerB);

        if (domain.Length == 0 || selector.Length == 0)
        {
            return Result(AuthResult.PermError, "signature lacks d= or s=");
        }

        if (DkimTags.SignedFieldCount(tags) is var signedFields && signedFields > DkimTags.MaxSignedFields)
        {
            return Result(AuthResult.PermError, $"h= lists {signedFields} header fields, more than the {DkimTags.MaxSignedFields} verified");
        }

        if (tags.TryGetValue("x", out var expires) && long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiry)
            && expiry < time.GetUtcNow().ToUnixTimeSeconds())
        {
            return Result(AuthResult.Fail, "signature expired (x=)");
        }

        try
        {
            if (fast is not null && DkimFastPath.BodyHashMatches(fast, tags)
                && await locator.LocatePublicKeyAsync(tags.GetValueOrDefault("q", "dns/txt"), domain, selector, cancellationToken) is RsaKeyParameters rsaKey
                && DkimFastPath.SignatureVerifies(fast, index, tags, rsaKey))
            {
                return Result(AuthResult.Pass);
            }

            if (await verifier.VerifyAsync(message, header, cancellationToken))
            {
                return Result(AuthResult.Pass);
            }

            if (algorithm == "rsa-sha1")
            {
                return Result(AuthResult.Fail, "rsa-sha1 is not accepted (RFC 8301)");
            }

            return locator.Located.TryGetValue((domain, selector), out var key) && key is RsaKeyParameters rsa && rsa.Modulus.BitLength < verifier.MinimumRsaKeyLength
                ? Result(AuthResult.Fail, $"RSA key of {rsa.Modulus.BitLength} bits is too weak")
                : Result(AuthResult.Fail, "signature or body hash did not verify");
        }
        catch (DkimKeyException exception)
        {
            return Result(exception.IsTemporary ? AuthResult.TempError : AuthResult.PermError, exception.Message);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // One broken signature or key is that signature's permerror; the others are still verified.
            return Result(AuthResult.PermError, exception is FormatException or ParseException or NotSupportedException or ArgumentException ? exception.Message : $"{exception.GetType().Name}: {exception.Message}");
        }
    }
}
