using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using MimeKit;
using MimeKit.Text;

namespace Gateway.Core.Content;

/// <summary>
/// The text of one part as every content check reads it (classifier features, rules, URL extraction),
/// computed once per part however many checks ask: decoded (transfer encoding and charset undone by
/// MimeKit), and for HTML the visible text and the text links are searched in, both from one pass of
/// MimeKit's tokenizer, however many checks read it.
/// </summary>
public sealed class PartContent
{
    /// <summary>Content bytes of one text part that content checks read; the rest of a bigger part is not scanned.</summary>
    public const int MaxScanBytes = 1024 * 1024;

    private static readonly ConditionalWeakTable<TextPart, PartContent> Cache = new();

    private PartContent(string decoded, string visible, string linkText)
    {
        Decoded = decoded;
        Visible = visible;
        LinkText = linkText;
    }

    /// <summary>The decoded text (HTML markup included), at most <see cref="MaxScanBytes"/> of it.</summary>
    public string Decoded { get; }

    /// <summary>What a reader sees: for HTML the text without tags, script or style, entities decoded; else the decoded text.</summary>
    public string Visible { get; }

    /// <summary>Where links are looked for: for HTML the link attributes (href, src, action, background) and all text; else the decoded text.</summary>
    public string LinkText { get; }

    /// <summary>
    /// The content of a part. A 50 MB text part must not become 100 MB strings several times over
    /// (SpamAssassin and rspamd bound their scans too), and a broken charset or transfer encoding gives
    /// empty text and never stops scoring.
    /// </summary>
    public static PartContent Of(TextPart part) => Cache.GetValue(part, Build);

    private static PartContent Build(TextPart part)
    {
        var decoded = Decode(part);
        if (!part.IsHtml)
        {
            return new PartContent(decoded, decoded, decoded);
        }

        var (visible, links) = ReadHtml(decoded);
        return new PartContent(decoded, visible, links);
    }

    /// <summary>
    /// Visible text of HTML (tags dropped, script and style skipped, entities decoded) and the text links
    /// are searched in, from one pass of MimeKit's tokenizer.
    /// </summary>
    private static (string Visible, string Links) ReadHtml(string html)
    {
        // Not sized from the HTML: a StringBuilder grows in chunks without copying, and sized at half the
        // page each, a 700 KB page took two 700 KB buffers in the large object heap before a token was read
        // (376 -> 364 KB allocated per HTML part of corpus-modern, 21,000 characters on average).
        var visible = new StringBuilder();
        var links = new StringBuilder();
        var tokenizer = new HtmlTokenizer(new StringReader(html));
        var skipping = false;
        while (tokenizer.ReadNextToken(out var token))
        {
            switch (token)
            {
                case HtmlTagToken tag:
                    if (tag.Id is HtmlTagId.Script or HtmlTagId.Style)
                    {
                        skipping = !tag.IsEndTag;
                    }
                    else if (tag.Id is HtmlTagId.Br or HtmlTagId.P or HtmlTagId.Div or HtmlTagId.TR or HtmlTagId.LI)
                    {
                        visible.Append('\n');
                    }

                    foreach (var attribute in tag.Attributes)
                    {
                        if (attribute.Id is HtmlAttributeId.Href or HtmlAttributeId.Src or HtmlAttributeId.Action or HtmlAttributeId.Background && attribute.Value is { } value)
                        {
                            // An attribute holds one URL; "www.x.test" without a scheme counts too.
                            links.Append(' ').Append(value.Trim()).Append(' ');
                        }
                    }

                    break;
                case HtmlDataToken data:
                    // Links in script and style text count too: a browser may well follow them.
                    links.Append(data.Data);
                    if (!skipping)
                    {
                        visible.Append(data.Data);
                    }

                    break;
            }
        }

        return (visible.ToString(), links.ToString());
    }

    private static string Decode(TextPart part)
    {
        try
        {
            if (part.Content?.Stream is not { } encoded)
            {
                return part.Text ?? string.Empty;
            }

            // Decoded content is never longer than its transfer encoding, so this buffer holds all we scan.
            var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(encoded.Length, MaxScanBytes));
            try
            {
                var length = ReadDecoded(part.Content, buffer);
                var bytes = buffer.AsSpan(0, length);
                if (encoded.Length > MaxScanBytes)
                {
                    return (part.ContentType.CharsetEncoding ?? Encoding.UTF8).GetString(bytes);
                }

                // Most mail is ASCII, and ASCII reads the same in every charset built on it. MimeKit's own
                // path (part.Text) looks the charset up, with an exception when the name is unknown
                // ("DEFAULT" is common in spam), and tokenizes HTML once more for a <meta charset>; it
                // stays for text with other bytes, where the charset decides what the text is.
                if (Ascii.IsValid(bytes) && ReadsAsAscii(part.ContentType.Charset))
                {
                    return UnixText(bytes, Encoding.ASCII);
                }

                // Declared UTF-8 and valid as such (most modern mail that is not ASCII): MimeKit would decode the
                // content a second time and pass it through its charset filter from UTF-8 to UTF-8, which leaves
                // valid bytes as they are; decoding them here gives the same text without that second pass.
                return IsUtf8(part.ContentType.Charset) && System.Text.Unicode.Utf8.IsValid(bytes)
                    ? UnixText(bytes, Encoding.UTF8)
                    : part.Text ?? string.Empty;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or NotSupportedException or DecoderFallbackException or IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>
    /// ASCII or UTF-8 bytes as text, with CRLF as LF as MimeKit's decoding gives it (the model learnt from that
    /// text); its line-ending filter also drops a CR that ends the content. A CR byte is never part of a UTF-8
    /// sequence, so dropping bytes before decoding is the same as dropping characters after.
    /// </summary>
    private static string UnixText(ReadOnlySpan<byte> bytes, Encoding encoding)
    {
        if (!bytes.Contains((byte)'\r'))
        {
            return encoding.GetString(bytes);
        }

        var unix = ArrayPool<byte>.Shared.Rent(bytes.Length);
        try
        {
            var length = 0;
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] != '\r' || (i + 1 < bytes.Length && bytes[i + 1] != '\n'))
                {
                    unix[length++] = bytes[i];
                }
            }

            return encoding.GetString(unix, 0, length);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(unix);
        }
    }

    private static bool IsUtf8(string? charset) =>
        charset is not null && (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase));

    private static int ReadDecoded(IMimeContent content, byte[] buffer)
    {
        using var decoded = content.Open();
        var length = 0;
        int read;
        while (length < buffer.Length && (read = decoded.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }

        return length;
    }

    /// <summary>
    /// Whether ASCII bytes mean the same text in this charset: true for an absent or unknown name and for the
    /// ASCII-based families; false where ASCII bytes mean something else (UTF-7's '+', UTF-16/32, EBCDIC)
    /// or escape sequences switch sets (ISO-2022, HZ), which MimeKit's decoder must read. IBM and "cp"
    /// code pages go to MimeKit wholesale: some are EBCDIC, and telling them apart is not worth a table.
    /// </summary>
    private static bool ReadsAsAscii(string? charset) =>
        charset is null || !NonAsciiCharsetPrefixes.Any(prefix => charset.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));

    private static readonly string[] NonAsciiCharsetPrefixes =
        ["utf-7", "utf7", "utf-16", "utf16", "utf-32", "utf32", "ucs", "unicode", "csunicode", "iso-2022", "csiso2022", "ibm", "cp0", "cp1", "cp8", "ebcdic", "x-ebcdic", "hz"];
}
