using Gateway.Core.Pipeline;
namespace Gateway.Core.Delivery.Smtp;

/// <summary>RFC 6531: an address with non-ASCII characters travels only to a server that offers SMTPUTF8.</summary>
internal static class SmtpUtf8
{
    public static readonly SmtpReply NotSupported = new(553, "5.6.7", "The mail server behind this gateway does not accept non-ASCII addresses (SMTPUTF8)");

    public static bool Needed(string? address) => address is not null && !System.Text.Ascii.IsValid(address);
}
