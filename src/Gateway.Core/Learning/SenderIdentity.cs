using Gateway.Core.Authentication;
using Gateway.Core.Headers;
using Gateway.Core.Pipeline;
using MimeKit;
using MimeKit.Cryptography;

namespace Gateway.Core.Learning;

/// <summary>
/// Who sent a message, as far as authentication proves it, for learning's per-sender caps: the From
/// organisation when DMARC passed (From is aligned), else the first DKIM signer that verified, else the
/// SPF-verified MAIL FROM domain; unauthenticated mail counts as "?" plus its From organisation, a bucket
/// of its own. So a forger who puts bank.example in From teaches under "?bank.example" and can never use
/// up (or exceed) the cap of the real, authenticated bank.example.
/// </summary>
public static class SenderIdentity
{
    public const string UnauthenticatedMark = "?";

    /// <summary>From a live scan: the checks' own results.</summary>
    public static string Of(MessageContext context)
    {
        var outcome = context.Authentication;
        if (outcome.Dmarc is { Result: AuthResult.Pass, FromDomain: { Length: > 0 } aligned })
        {
            return Organisation(aligned);
        }

        if (outcome.Dkim?.FirstOrDefault(signature => signature.Result == AuthResult.Pass) is { } signed)
        {
            return Organisation(signed.Domain);
        }

        if (outcome.Spf is { Result: Authentication.Spf.SpfResult.Pass } && DomainOf(context.Envelope.From) is { } mailFrom)
        {
            return Organisation(mailFrom);
        }

        return Unauthenticated(context.Message);
    }

    /// <summary>From a stored message (a file, a mailbox): the Authentication-Results our gateway stamped and sealed.</summary>
    public static string Of(MimeMessage message, ResultsSeal seal)
    {
        if (seal.OursIn(message) is { } results
            && (Passed(results, "dmarc", "from") ?? Passed(results, "dkim", "d") ?? DomainOf(Passed(results, "spf", "mailfrom"))) is { Length: > 0 } domain)
        {
            return Organisation(domain);
        }

        return Unauthenticated(message);
    }

    /// <summary>
    /// The From organisation when DMARC passed, else null: the one identity a reader sees, proven. The
    /// sender's reputation (SITE_SENDER_HAM) keys on this alone, since a DKIM signer or MAIL FROM domain
    /// without alignment is often a bulk provider's, shared by thousands of senders, spammers among them.
    /// </summary>
    public static string? AlignedOf(MessageContext context) =>
        context.Authentication.Dmarc is { Result: AuthResult.Pass, FromDomain: { Length: > 0 } aligned } ? Organisation(aligned) : null;

    /// <summary>The same from a stored message: the DMARC pass our gateway stamped, or null.</summary>
    public static string? AlignedOf(MimeMessage message, ResultsSeal seal) =>
        seal.OursIn(message) is { } results && Passed(results, "dmarc", "from") is { Length: > 0 } aligned ? Organisation(aligned) : null;

    private static string? Passed(AuthenticationResults results, string method, string property) => results.Results
        .FirstOrDefault(result => result.Method.Equals(method, StringComparison.OrdinalIgnoreCase) && result.Result.Equals("pass", StringComparison.OrdinalIgnoreCase))?
        .Properties.FirstOrDefault(p => p.Property.Equals(property, StringComparison.OrdinalIgnoreCase))?.Value;

    public static string Organisation(string domain) => Dns.PublicSuffixList.Shipped.Organisation(domain);

    private static string Unauthenticated(MimeMessage message) =>
        UnauthenticatedMark + (message.From.Mailboxes.FirstOrDefault()?.Domain is { Length: > 0 } from ? Organisation(from) : string.Empty);

    private static string? DomainOf(string? address)
    {
        if (string.IsNullOrEmpty(address))
        {
            return null;
        }

        var at = address.LastIndexOf('@');
        return at < 0 ? address : at < address.Length - 1 ? address[(at + 1)..] : null;
    }
}
