using System.Security.Cryptography;
using MimeKit;
using MimeKit.Cryptography;

namespace Gateway.Core.Headers;

/// <summary>
/// Proof that this gateway wrote an Authentication-Results field: an HMAC, with a key of the site's
/// (<see cref="Learning.SiteSecret"/>), over that field's value and the message's Message-ID, stamped beside
/// it as X-Gateway-Results-Seal. Site learning reads a stored message's sender identity from our
/// Authentication-Results only when its seal holds: a message that reached a mailbox without passing through
/// the gateway (or was handed to /learn) may carry our authserv-id with "dmarc=pass header.from=bank", and
/// must not earn that bank's sender reputation. White space is left out of what is signed, so a mail server
/// that refolds the fields downstream does not break the seal.
/// </summary>
public sealed class ResultsSeal(string authservId, byte[] key)
{
    public const string FieldName = "X-Gateway-Results-Seal";

    private const string Version = "v1";

    public string AuthservId => authservId;

    /// <summary>The seal field for an Authentication-Results field we stamp ("Authentication-Results: …" as built).</summary>
    public string Field(string resultsField, string? messageId)
    {
        var value = resultsField[(resultsField.IndexOf(':') + 1)..];
        return $"{FieldName}: {Version}; {Convert.ToBase64String(Mac(value, messageId))}";
    }

    /// <summary>Our Authentication-Results in a stored message whose seal holds (the newest such), or null.</summary>
    public AuthenticationResults? OursIn(MimeMessage message)
    {
        var seals = message.Headers.Where(header => header.Field.Equals(FieldName, StringComparison.OrdinalIgnoreCase))
            .Select(header => Decode(header.Value)).OfType<byte[]>().ToList();
        if (seals.Count == 0)
        {
            return null;
        }

        var messageId = message.Headers[HeaderId.MessageId];
        foreach (var header in message.Headers.Where(header => header.Id == HeaderId.AuthenticationResults))
        {
            if (AuthenticationResultsHeader.ClaimsAuthservId(header.Value, authservId)
                && seals.Any(seal => CryptographicOperations.FixedTimeEquals(seal, Mac(header.Value, messageId)))
                && AuthenticationResults.TryParse(header.RawValue, out var results))
            {
                return results;
            }
        }

        return null;
    }

    private byte[] Mac(string resultsValue, string? messageId) =>
        HMACSHA256.HashData(key, System.Text.Encoding.UTF8.GetBytes($"{Version}\n{WithoutSpace(resultsValue)}\n{WithoutSpace(messageId ?? string.Empty)}"));

    private static string WithoutSpace(string text) => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));

    private static byte[]? Decode(string value)
    {
        var parts = value.Split(';', 2, StringSplitOptions.TrimEntries);
        if (parts.Length != 2 || parts[0] != Version)
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(WithoutSpace(parts[1]));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
