using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Core.Content;
using MimeKit;

namespace Gateway.Core.Classification;

/// <summary>
/// What the classifier sees of a message, computed in exactly one place for training and scoring so the
/// two can never drift: the text a reader sees (subject without list tags, decoded text parts, HTML
/// reduced to visible text) with the registered domains its links lead to, and numeric features.
/// Deliberately left out, because 2002 and 2026 mail differ in them for reasons that have nothing to do
/// with spam (the first model learned "HTML or an attachment = spam" from them): MIME structure and
/// content types, attachments, mailer names, HTML's share of the message, the raw size and the Received
/// count. Attachments and structure are the rules' business (rules/default.rules.yaml).
/// </summary>
public sealed partial record MessageFeatures(
    string Text,
    float TextLengthLog,
    float UrlCount,
    float DistinctDomains,
    float UppercaseRatio,
    float PunctuationRatio,
    float InvisibleCharacters)
{
    /// <summary>Text beyond this is not read: the start of a message says what it is, and scoring stays cheap.</summary>
    private const int MaxTextLength = 16 * 1024;

    /// <summary>Link domains named in the text, at most: a newsletter's twenty tracking links say no more than five.</summary>
    private const int MaxLinkDomains = 8;

    /// <summary>The numeric features' names, in the order <see cref="Numerics"/> writes them.</summary>
    public static readonly string[] NumericNames =
        [nameof(TextLengthLog), nameof(UrlCount), nameof(DistinctDomains), nameof(UppercaseRatio), nameof(PunctuationRatio), nameof(InvisibleCharacters)];

    /// <summary>The numeric features, in the order of <see cref="NumericNames"/> (their slots in <see cref="FeatureLayout"/>).</summary>
    public void Numerics(Span<float> into)
    {
        into[0] = TextLengthLog;
        into[1] = UrlCount;
        into[2] = DistinctDomains;
        into[3] = UppercaseRatio;
        into[4] = PunctuationRatio;
        into[5] = InvisibleCharacters;
    }

    /// <param name="rawSize">Unused since the size left the features (era-bound); kept for the callers' shape.</param>
    /// <param name="cancellationToken">Polled once per part: the check's timeout must be able to stop a long extraction.</param>
    public static MessageFeatures Extract(MimeMessage message, int rawSize, CancellationToken cancellationToken = default)
    {
        _ = rawSize;
        var plain = new StringBuilder();
        var html = new StringBuilder();
        foreach (var part in message.BodyParts)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (part is MimePart { IsAttachment: true } || part is not TextPart text || plain.Length + html.Length > MaxTextLength)
            {
                continue;
            }

            var content = PartContent.Of(text);
            (text.IsHtml ? html.Append(content.Visible) : plain.Append(content.Decoded)).Append('\n');
        }

        var (plainText, htmlText) = (plain.ToString(), html.ToString());
        var body = plainText.Length > 0 ? plainText : htmlText;
        var urls = new UrlCounter();
        urls.Add(plainText);
        urls.Add(htmlText);
        AddHrefTargets(message, urls);
        var subject = ListTags().Replace(message.Subject ?? string.Empty, string.Empty);
        var allText = $"{subject}\n{subject}\n{Truncate(body)}\n{LinkDomainTokens(urls.Hosts)}";
        var (letters, upper, punctuation, invisible) = CountCharacters(body);
        return new MessageFeatures(
            allText,
            (float)Math.Log(1 + body.Length),
            (float)Math.Log(1 + urls.Count),
            (float)Math.Log(1 + urls.Hosts.Count),
            letters == 0 ? 0f : (float)upper / letters,
            body.Length == 0 ? 0f : (float)punctuation / body.Length,
            (float)Math.Log(1 + invisible));
    }

    /// <summary>
    /// Where the links lead, as words the model can weigh (xlinkbitly, xlinkipfs): registered domains, so
    /// www.shop.example and click.shop.example are one shop. Sorted, so the text does not depend on order.
    /// </summary>
    private static string LinkDomainTokens(IEnumerable<string> hosts) =>
        string.Join(' ', hosts
            .Select(host => Dns.PublicSuffixList.Shipped.RegisteredDomain(host.TrimEnd('.').ToLowerInvariant()) ?? host.ToLowerInvariant())
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Take(MaxLinkDomains)
            .Select(domain => "xlink" + Token(domain)));

    /// <summary>href targets count as URLs even when the visible text hides them.</summary>
    private static void AddHrefTargets(MimeMessage message, UrlCounter urls)
    {
        foreach (var part in message.BodyParts.OfType<TextPart>().Where(part => part.IsHtml))
        {
            var html = PartContent.Of(part).Decoded.AsSpan();
            foreach (var match in HrefPattern().EnumerateMatches(html))
            {
                urls.Add(HrefTarget(html.Slice(match.Index, match.Length)));
            }
        }
    }

    /// <summary>
    /// The target of one <see cref="HrefPattern"/> match, what its group 1 held, without a Match object per link:
    /// "href", spaces, "=", spaces and an opening quote skipped (the pattern takes a quote that is there, as the
    /// target after it cannot start with one).
    /// </summary>
    internal static ReadOnlySpan<char> HrefTarget(ReadOnlySpan<char> match)
    {
        var rest = match["href".Length..].TrimStart();
        rest = rest[1..].TrimStart(); // the '='
        return rest.Length > 0 && rest[0] is '"' or '\'' ? rest[1..] : rest;
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

    /// <summary>
    /// Letters, upper-case letters, the spammer's punctuation (! $ %) and characters a reader cannot see
    /// (zero-width spaces and joiners, word joiner, soft hyphen, BOM: filter evasion), in one pass over the
    /// whole body. Runs of ASCII are counted eight characters at a time (for ASCII a letter is A-Z or a-z,
    /// and no invisible character is ASCII); the rest one by one with the Unicode categories.
    /// </summary>
    internal static (int Letters, int Upper, int Punctuation, int Invisible) CountCharacters(ReadOnlySpan<char> body)
    {
        var (letters, upper, punctuation, invisible) = (0, 0, 0, 0);
        var i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var chars = MemoryMarshal.Cast<char, ushort>(body);
            for (; i + Vector128<ushort>.Count <= chars.Length; i += Vector128<ushort>.Count)
            {
                var block = Vector128.Create(chars.Slice(i, Vector128<ushort>.Count));
                if (!Vector128.LessThanAll(block, Vector128.Create((ushort)128)))
                {
                    CountOne(body[i..(i + Vector128<ushort>.Count)], ref letters, ref upper, ref punctuation, ref invisible);
                    continue;
                }

                var isUpper = Vector128.LessThan(block - Vector128.Create((ushort)'A'), Vector128.Create((ushort)26));
                var isLetter = Vector128.LessThan((block | Vector128.Create((ushort)0x20)) - Vector128.Create((ushort)'a'), Vector128.Create((ushort)26));
                var isPunctuation = Vector128.Equals(block, Vector128.Create((ushort)'!')) | Vector128.Equals(block, Vector128.Create((ushort)'$')) | Vector128.Equals(block, Vector128.Create((ushort)'%'));
                letters += BitOperations.PopCount(isLetter.ExtractMostSignificantBits());
                upper += BitOperations.PopCount(isUpper.ExtractMostSignificantBits());
                punctuation += BitOperations.PopCount(isPunctuation.ExtractMostSignificantBits());
            }
        }

        CountOne(body[i..], ref letters, ref upper, ref punctuation, ref invisible);
        return (letters, upper, punctuation, invisible);
    }

    private static void CountOne(ReadOnlySpan<char> text, ref int letters, ref int upper, ref int punctuation, ref int invisible)
    {
        foreach (var c in text)
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
            else if (c is '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\u00AD' or '\uFEFF')
            {
                invisible++;
            }
        }
    }

    private static string Truncate(string text) => text.Length <= MaxTextLength ? text : text[..MaxTextLength];

    private static string Token(string text) => new([.. text.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit)]);

    [GeneratedRegex(@"(?:https?://|www\.)([A-Za-z0-9.\-]+)", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"href\s*=\s*[""']?([^""'\s>]+)", RegexOptions.IgnoreCase)]
    private static partial Regex HrefPattern();

    /// <summary>Mailing-list subject tags ([OpenWrt-Devel], [ksummit]): they name the list, not the intent.</summary>
    [GeneratedRegex(@"^\s*(?:(?:re|fwd?|aw|sv)\s*:\s*)*(?:\[[^\]\r\n]{1,40}\]\s*)+", RegexOptions.IgnoreCase)]
    private static partial Regex ListTags();
}
