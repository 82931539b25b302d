using System.Runtime.CompilerServices;
using System.Text;
using MimeKit;
using MimeKit.Text;

namespace Gateway.Core.Content;

/// <summary>
/// The text of one part as every content check reads it (classifier features, rules, URL extraction),
/// computed once per part however many checks ask: decoded (transfer encoding and charset undone by
/// MimeKit), and for HTML the visible text and the text links are searched in, both from one pass of
/// MimeKit's tokenizer. Each of these used to decode or tokenize the part again on its own.
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
        var visible = new StringBuilder(html.Length / 2);
        var links = new StringBuilder(html.Length / 2);
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
            if (part.Content?.Stream is not { } encoded || encoded.Length <= MaxScanBytes)
            {
                return part.Text ?? string.Empty;
            }

            using var decoded = part.Content.Open();
            var buffer = new byte[MaxScanBytes];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = decoded.Read(buffer, length, buffer.Length - length)) > 0)
            {
                length += read;
            }

            return (part.ContentType.CharsetEncoding ?? Encoding.UTF8).GetString(buffer, 0, length);
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or NotSupportedException or DecoderFallbackException or IOException)
        {
            return string.Empty;
        }
    }
}
