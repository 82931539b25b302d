using System.Text;

namespace Gateway.Core.Pipeline;

/// <summary>
/// Envelope addresses as we re-emit them downstream (RFC 5321 4.1.2): a local part that is a Dot-string
/// goes as it is, any other is sent as a Quoted-string with '"' and '\' escaped — never dequoted, so
/// nothing the client put inside quotes can become a second address or an ESMTP parameter downstream.
/// SmtpServer hands us the local part already unquoted (and unescaped), so this is the one place that
/// turns it back into the form the downstream must see. Everything the envelope is used for (SPF, logs,
/// rules, greylisting, the downstream) sees the same canonical text.
/// </summary>
public static class SmtpAddress
{
    /// <summary>RFC 5322 atext specials; letters, digits and UTF-8 (RFC 6531) are atext too.</summary>
    private const string AtextSpecials = "!#$%&'*+-/=?^_`{|}~";

    /// <summary>
    /// The address as it goes on the wire, or null when no SMTP path can carry it (control characters,
    /// an empty local part, a domain with characters no domain has, bytes that were not UTF-8: they reach
    /// us as U+FFFD, and would go downstream as a different address than the client sent).
    /// </summary>
    public static string? Format(string localPart, string domain)
    {
        if (localPart.Length == 0 || !IsDomainOrLiteral(domain) || localPart.Any(IsControl) || localPart.Contains('\uFFFD') || domain.Contains('\uFFFD'))
        {
            return null;
        }

        if (IsDotString(localPart))
        {
            return $"{localPart}@{domain}";
        }

        var quoted = new StringBuilder(localPart.Length + 4).Append('"');
        foreach (var c in localPart)
        {
            if (c is '"' or '\\')
            {
                quoted.Append('\\');
            }

            quoted.Append(c);
        }

        return quoted.Append("\"@").Append(domain).ToString();
    }

    /// <summary>
    /// Whether a local part carries routing (Postfix's allow_untrusted_routing): '%' and '!' (the old
    /// percent and UUCP bang hacks) or an '@' (a quoted address inside the address). A downstream that
    /// trusts us as a relay would send such mail on to the domain inside the local part.
    /// </summary>
    /// <summary>Whether an address needs SMTPUTF8 (RFC 6531): anything beyond ASCII.</summary>
    public static bool NeedsUtf8(string address) => !System.Text.Ascii.IsValid(address);

    public static bool HasRouting(string localPart) => localPart.AsSpan().IndexOfAny("%!@") >= 0;

    /// <summary>Dot-string = Atom *("." Atom): no empty atoms, no leading, trailing or doubled dots.</summary>
    public static bool IsDotString(string localPart)
    {
        var atomLength = 0;
        foreach (var c in localPart)
        {
            if (c == '.')
            {
                if (atomLength == 0)
                {
                    return false;
                }

                atomLength = 0;
            }
            else if (char.IsAsciiLetterOrDigit(c) || AtextSpecials.Contains(c) || c > (char)0x9F)
            {
                atomLength++;
            }
            else
            {
                return false;
            }
        }

        return atomLength > 0;
    }

    /// <summary>C0 controls, DEL and C1 controls: never inside an address on the wire.</summary>
    private static bool IsControl(char c) => c < ' ' || c is >= (char)0x7F and <= (char)0x9F;

    private static bool IsDomainOrLiteral(string domain)
    {
        if (domain.Length is 0 or > 255)
        {
            return false;
        }

        if (domain[0] == '[')
        {
            // An address literal as SmtpServer's parser accepted it: [1.2.3.4] or [IPv6:...].
            return domain[^1] == ']' && domain.AsSpan(1, domain.Length - 2).IndexOfAnyExcept("0123456789abcdefABCDEFIPv.:") < 0;
        }

        // Letters, digits, hyphens, dots; UTF-8 letters for internationalised names (RFC 6531).
        return domain.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' || c > (char)0x9F);
    }
}
