using System.Text;
using System.Text.RegularExpressions;
using Gateway.Core.Content;
using MimeKit;

namespace Gateway.Core.Classification;

/// <summary>
/// What the classifier sees of a message, computed in exactly one place for training and scoring so the
/// two can never drift: the text (subject, decoded text parts, HTML reduced to visible text, a few header
/// tokens) and numeric features.
/// </summary>
public sealed partial record MessageFeatures(
    string Text,
    float SizeLog,
    float UrlCount,
    float DistinctDomains,
    float HtmlRatio,
    float AttachmentCount,
    float UppercaseRatio,
    float PunctuationRatio,
    float ReceivedCount)
{
    /// <summary>Text beyond this is not read: the start of a message says what it is, and scoring stays cheap.</summary>
    private const int MaxTextLength = 16 * 1024;

    /// <summary>The numeric features' names, in the order <see cref="Numerics"/> writes them.</summary>
    public static readonly string[] NumericNames =
        [nameof(SizeLog), nameof(UrlCount), nameof(DistinctDomains), nameof(HtmlRatio), nameof(AttachmentCount), nameof(UppercaseRatio), nameof(PunctuationRatio), nameof(ReceivedCount)];

    /// <summary>The numeric features, in the order of <see cref="NumericNames"/> (their slots in <see cref="FeatureLayout"/>).</summary>
    public void Numerics(Span<float> into)
    {
        into[0] = SizeLog;
        into[1] = UrlCount;
        into[2] = DistinctDomains;
        into[3] = HtmlRatio;
        into[4] = AttachmentCount;
        into[5] = UppercaseRatio;
        into[6] = PunctuationRatio;
        into[7] = ReceivedCount;
    }

    /// <param name="cancellationToken">Polled once per part: the check's timeout must be able to stop a long extraction.</param>
    public static MessageFeatures Extract(MimeMessage message, int rawSize, CancellationToken cancellationToken = default)
    {
        var plain = new StringBuilder();
        var html = new StringBuilder();
        var htmlLength = 0;
        var attachments = 0;
        var tokens = new List<string>();
        foreach (var part in message.BodyParts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (part is MimePart { IsAttachment: true } attachment)
            {
                attachments++;
                tokens.Add("xattach" + Token(Path.GetExtension(attachment.FileName ?? string.Empty)));
                continue;
            }

            if (part is not TextPart text || plain.Length + html.Length > MaxTextLength)
            {
                continue;
            }

            var content = PartContent.Of(text);
            if (text.IsHtml)
            {
                htmlLength += content.Decoded.Length;
                html.Append(content.Visible).Append('\n');
            }
            else
            {
                plain.Append(content.Decoded).Append('\n');
            }
        }

        tokens.Add("xct" + Token(message.Body?.ContentType.MimeType ?? "none"));
        var mailer = message.Headers[HeaderId.XMailer] ?? message.Headers["User-Agent"];
        if (mailer is not null)
        {
            tokens.Add("xmailer" + Token(mailer.Split(' ', '/')[0]));
        }

        var (plainText, htmlText) = (plain.ToString(), html.ToString());
        var body = plainText.Length > 0 ? plainText : htmlText;
        var allText = $"{message.Subject}\n{message.Subject}\n{Truncate(body)}\n{string.Join(' ', tokens)}";
        var urls = new UrlCounter();
        urls.Add(plainText);
        urls.Add(htmlText);
        AddHrefTargets(message, urls);
        var (letters, upper, punctuation) = CountCharacters(body);
        return new MessageFeatures(
            allText,
            (float)Math.Log(1 + rawSize),
            (float)Math.Log(1 + urls.Count),
            (float)Math.Log(1 + urls.Hosts.Count),
            htmlLength == 0 ? 0f : (float)htmlLength / (htmlLength + plain.Length),
            attachments,
            letters == 0 ? 0f : (float)upper / letters,
            body.Length == 0 ? 0f : (float)punctuation / body.Length,
            message.Headers.Count(header => header.Id == HeaderId.Received));
    }

    /// <summary>href targets count as URLs even when the visible text hides them.</summary>
    private static void AddHrefTargets(MimeMessage message, UrlCounter urls)
    {
        foreach (var part in message.BodyParts.OfType<TextPart>().Where(part => part.IsHtml))
        {
            foreach (Match href in HrefPattern().Matches(PartContent.Of(part).Decoded))
            {
                urls.Add(href.Groups[1].ValueSpan);
            }
        }
    }

    /// <summary>
    /// URLs (http://, https://, www.) and their distinct hosts, ignoring case. Each piece of text is
    /// searched on its own, which finds what one search over them joined by line breaks found (a URL
    /// cannot run over a line break) without building that joined copy or a Match per URL.
    /// </summary>
    private sealed class UrlCounter
    {
        public HashSet<string> Hosts { get; } = new(StringComparer.OrdinalIgnoreCase);

        public int Count { get; private set; }

        public void Add(ReadOnlySpan<char> text)
        {
            var lookup = Hosts.GetAlternateLookup<ReadOnlySpan<char>>();
            foreach (var match in UrlPattern().EnumerateMatches(text))
            {
                var url = text.Slice(match.Index, match.Length);
                var scheme = url.IndexOf("://", StringComparison.Ordinal);
                lookup.Add(scheme >= 0 ? url[(scheme + 3)..] : url[4..]);
                Count++;
            }
        }
    }

    /// <summary>Letters, upper-case letters and the spammer's punctuation (! $ %), in one pass over the body.</summary>
    private static (int Letters, int Upper, int Punctuation) CountCharacters(string body)
    {
        var (letters, upper, punctuation) = (0, 0, 0);
        foreach (var c in body)
        {
            if (char.IsLetter(c))
            {
                letters++;
                upper += char.IsUpper(c) ? 1 : 0;
            }
            else if (c is '!' or '$' or '%')
            {
                punctuation++;
            }
        }

        return (letters, upper, punctuation);
    }

    private static string Truncate(string text) => text.Length <= MaxTextLength ? text : text[..MaxTextLength];

    private static string Token(string text) => new([.. text.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit)]);

    [GeneratedRegex(@"(?:https?://|www\.)([A-Za-z0-9.\-]+)", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"href\s*=\s*[""']?([^""'\s>]+)", RegexOptions.IgnoreCase)]
    private static partial Regex HrefPattern();
}
