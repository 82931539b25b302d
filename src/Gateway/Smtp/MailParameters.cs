using Gateway.Core.Delivery;
using Gateway.Core.Pipeline;

namespace Gateway.Smtp;

/// <summary>
/// The ESMTP parameters of MAIL that we mirror downstream (SIZE, BODY, SMTPUTF8), checked before they are:
/// only well-formed values go on, so the downstream never sees a client's invention.
/// </summary>
internal static class MailParameters
{
    /// <summary>The refusal for a bad parameter, or null when every mirrored one is well-formed.</summary>
    public static SmtpReply? Check(IReadOnlyDictionary<string, string> parameters, int maxMessageSize)
    {
        if (parameters.TryGetValue("SIZE", out var size))
        {
            // RFC 1870: SIZE=1*20DIGIT. Whatever does not fit a long is over any limit we could have.
            if (size.Length is 0 or > 20 || !size.All(char.IsAsciiDigit))
            {
                return new SmtpReply(501, "5.5.4", "Bad SIZE parameter (digits only)");
            }

            if (!long.TryParse(size, out var declared) || declared > maxMessageSize)
            {
                return SmtpReplies.MessageTooBig(maxMessageSize);
            }
        }

        if (parameters.TryGetValue("BODY", out var body) && !body.Equals("7BIT", StringComparison.OrdinalIgnoreCase) && !body.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase))
        {
            return new SmtpReply(501, "5.5.4", "Bad BODY parameter (7BIT or 8BITMIME)");
        }

        if (parameters.TryGetValue("SMTPUTF8", out var utf8) && !string.IsNullOrEmpty(utf8))
        {
            return new SmtpReply(501, "5.5.4", "SMTPUTF8 takes no value");
        }

        return null;
    }
}
