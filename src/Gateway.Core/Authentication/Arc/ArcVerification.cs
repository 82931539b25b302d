using System.Globalization;
using System.Text;
using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Dns;
using MimeKit;
using MimeKit.Cryptography;

namespace Gateway.Core.Authentication.Arc;

/// <summary>Verifies the ARC chain with MimeKit's ArcVerifier and reads the last hop's sealed results.</summary>
public sealed class ArcVerification(IDnsResolver dns)
{
    public async Task<ArcOutcome> VerifyAsync(MimeMessage message, CancellationToken cancellationToken)
    {
        var seals = message.Headers.Where(header => header.Id == HeaderId.ArcSeal).ToList();
        if (seals.Count == 0)
        {
            return new ArcOutcome(AuthResult.None);
        }

        // The same bound as DKIM's on what an ARC-Message-Signature may list in h= (DkimTags.MaxSignedFields).
        if (message.Headers.Where(header => header.Id == HeaderId.ArcMessageSignature)
            .Select(header => DkimTags.SignedFieldCount(DkimTags.Parse(header.Value))).DefaultIfEmpty(0).Max() is var signedFields
            && signedFields > DkimTags.MaxSignedFields)
        {
            return new ArcOutcome(AuthResult.Fail, seals.Count, Reason: $"an ARC-Message-Signature lists {signedFields} header fields in h=, more than the {DkimTags.MaxSignedFields} verified");
        }

        ArcValidationResult validation;
        try
        {
            validation = await new ArcVerifier(new DnsDkimPublicKeyLocator(dns)).VerifyAsync(message, cancellationToken);
        }
        catch (DkimKeyException exception)
        {
            return new ArcOutcome(exception.IsTemporary ? AuthResult.TempError : AuthResult.Fail, seals.Count, Reason: exception.Message);
        }

        var last = seals
            .Select(seal => DkimTags.Parse(seal.Value))
            .Select(tags => (Instance: int.TryParse(tags.GetValueOrDefault("i"), NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : 0, Sealer: tags.GetValueOrDefault("d")))
            .MaxBy(seal => seal.Instance);
        var result = validation.Chain switch
        {
            ArcSignatureValidationResult.Pass => AuthResult.Pass,
            ArcSignatureValidationResult.Fail => AuthResult.Fail,
            _ => AuthResult.None,
        };
        var reason = result == AuthResult.Fail ? $"ARC chain failed: {validation.ChainErrors}" : null;
        return new ArcOutcome(result, last.Instance, last.Sealer?.ToLowerInvariant(), SealedDmarcPass(message, last.Instance), reason);
    }

    /// <summary>Whether the ARC-Authentication-Results of the given instance says dmarc=pass.</summary>
    private static bool SealedDmarcPass(MimeMessage message, int instance)
    {
        foreach (var header in message.Headers.Where(header => header.Id == HeaderId.ArcAuthenticationResults))
        {
            if (AuthenticationResults.TryParse(Encoding.UTF8.GetBytes(header.Value), out var results) && results.Instance == instance)
            {
                return results.Results.Any(method => method.Method.Equals("dmarc", StringComparison.OrdinalIgnoreCase) && method.Result.Equals("pass", StringComparison.OrdinalIgnoreCase));
            }
        }

        return false;
    }
}
