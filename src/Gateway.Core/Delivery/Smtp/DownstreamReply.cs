using Gateway.Core.Pipeline;
namespace Gateway.Core.Delivery.Smtp;

/// <summary>A raw, possibly multi-line reply from the downstream server, before it is mapped for our client.</summary>
public sealed record DownstreamReply(int Code, IReadOnlyList<string> Lines)
{
    public static implicit operator SmtpReply(DownstreamReply reply) => reply.ToSmtpReply();

    public SmtpReply ToSmtpReply()
    {
        var text = string.Join(' ', Lines);
        var space = text.IndexOf(' ');
        var first = space < 0 ? text : text[..space];
        return IsEnhancedCode(first, Code)
            ? SmtpReply.FromDownstream(Code, first, space < 0 ? string.Empty : text[(space + 1)..])
            : SmtpReply.FromDownstream(Code, null, text);
    }

    /// <summary>RFC 3463: class.subject.detail, where class matches the reply's first digit.</summary>
    private static bool IsEnhancedCode(string token, int code)
    {
        var parts = token.Split('.');
        return parts.Length == 3
            && parts[0] == (code / 100).ToString(System.Globalization.CultureInfo.InvariantCulture)
            && parts.All(part => part.Length is > 0 and <= 3 && part.All(char.IsAsciiDigit));
    }
}
