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
