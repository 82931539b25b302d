using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using MimeKit;

namespace Gateway.Core.Pyzor;

/// <summary>
/// Pyzor's message digest, computed as pyzor/digest.py (Pyzor 1.x) does, so a digest reported here is the one every
/// other Pyzor user computes: the text of every part (an HTML part as its data, script and style left out; a
/// non-text part as its encoded payload), line by line with strings of 10+ characters, addresses, URLs and then
/// all whitespace removed; lines shorter than 8 characters dropped; a message of at most 4 such lines is digested
/// whole, a longer one by 3 lines from 20 % and 3 from 60 % of the way; SHA-1, in hex.
/// </summary>
public static partial class PyzorDigest
{
    private const int MinLineLength = 8;
    private const int AtomicLines = 4;
    private static readonly (int Offset, int Length)[] Spec = [(20, 3), (60, 3)];

    /// <summary>The digest; null when no line is long enough to digest (Pyzor would digest nothing; such a digest matches everything).</summary>
    public static string? Of(MimeMessage message)
    {
        var lines = Lines(message);
        if (lines.Count == 0)
        {
            return null;
        }

        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        foreach (var line in lines.Count <= AtomicLines ? lines : Pieced(lines))
        {
            sha1.AppendData(Encoding.UTF8.GetBytes(line));
        }

        return Convert.ToHexStringLower(sha1.GetHashAndReset());
    }

    /// <summary>The normalised lines (what `pyzor predigest` prints).</summary>
    public static IReadOnlyList<string> Lines(MimeMessage message) =>
        [.. Payloads(message.Body).SelectMany(SplitLines).Select(Normalize).Where(line => line.EnumerateRunes().Count() >= MinLineLength)];

    private static IEnumerable<string> Pieced(IReadOnlyList<string> lines)
    {
        foreach (var (offset, length) in Spec)
        {
            for (var i = 0; i < length; i++)
            {
                var index = (offset * lines.Count / 100) + i;
                if (index < lines.Count)
                {
                    yield return lines[index];
                }
            }
        }
    }

    /// <summary>Python's email walk: containers skipped, text decoded by its charset, anything else as encoded.</summary>
    private static IEnumerable<string> Payloads(MimeEntity? entity)
    {
        switch (entity)
        {
            case Multipart multipart:
                foreach (var child in multipart.SelectMany(Payloads))
                {
                    yield return child;
                }

                break;
            case MessagePart { Message: { } inner }:
                foreach (var child in Payloads(inner.Body))
                {
                    yield return child;
                }

                break;
            case TextPart text:
                var decoded = Decode(text);
                yield return text.IsHtml ? HtmlData(decoded) : decoded;
                break;
            case MimePart { Content.Stream: { } stream }:
                using (var reader = new StreamReader(stream, Encoding.Latin1, leaveOpen: true))
                {
                    stream.Position = 0;
                    yield return reader.ReadToEnd();
                }

                break;
        }
    }

    /// <summary>The transfer-decoded bytes in the part's charset, undecodable bytes dropped; no charset (or an unknown one): ASCII.</summary>
    private static string Decode(TextPart part)
    {
        using var bytes = new MemoryStream();
        part.Content?.DecodeTo(bytes);
        Encoding encoding;
        try
        {
            encoding = part.ContentType.Charset is { Length: > 0 } charset
                ? Encoding.GetEncoding(charset, EncoderFallback.ExceptionFallback, new DecoderReplacementFallback(string.Empty))
                : Ascii;
        }
        catch (ArgumentException)
        {
            encoding = Ascii;
        }

        return encoding.GetString(bytes.ToArray());
    }

    private static readonly Encoding Ascii = Encoding.GetEncoding("us-ascii", EncoderFallback.ExceptionFallback, new DecoderReplacementFallback(string.Empty));

    /// <summary>As Pyzor's HTMLStripper: the text between tags, entities decoded, each piece stripped, script and style left out, joined by spaces.</summary>
    private static string HtmlData(string html)
    {
        var data = new List<string>();
        var collect = true;
        foreach (Match piece in HtmlPieces().Matches(html))
        {
            if (piece.Groups["tag"].Success)
            {
                var name = piece.Groups["name"].Value.ToLowerInvariant();
                if (name is "script" or "style")
                {
                    collect = piece.Groups["close"].Success;
                }

                continue;
            }

            if (piece.Groups["text"].Success && collect && System.Net.WebUtility.HtmlDecode(piece.Value).Trim() is { Length: > 0 } text)
            {
                data.Add(text);
            }
        }

        return string.Join(' ', data);
    }

    /// <summary>Python's str.splitlines: \n, \r, \r\n, \v, \f, \x1c-\x1e, \x85, U+2028, U+2029.</summary>
    private static IEnumerable<string> SplitLines(string text) => LineBreaks().Split(text).Where(line => line.Length > 0);

    private static string Normalize(string line)
    {
        line = LongString().Replace(line, string.Empty);
        line = Address().Replace(line, string.Empty);
        line = Url().Replace(line, string.Empty);
        return Whitespace().Replace(line, string.Empty).Trim();
    }

    [GeneratedRegex(@"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")]
    private static partial Regex LineBreaks();

    [GeneratedRegex(@"\S{10,}")]
    private static partial Regex LongString();

    [GeneratedRegex(@"\S+@\S+")]
    private static partial Regex Address();

    [GeneratedRegex(@"[a-z]+:\S+", RegexOptions.IgnoreCase)]
    private static partial Regex Url();

    [GeneratedRegex(@"\s")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"(?<tag><!--.*?-->|<!.*?>|<\?.*?>|<(?<close>/)?(?<name>[a-zA-Z][^\s/>]*)[^>]*>)|(?<text>[^<]+|<)", RegexOptions.Singleline)]
    private static partial Regex HtmlPieces();
}
