using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Core.Content;
using MimeKit;

namespace Gateway.Core.Fuzzy;

/// <summary>
/// What makes two messages near-identical, as rspamd's fuzzy storage sees it: 32 min-hashes over the word
/// 3-grams of the text a reader sees (so a campaign's copies with other names, numbers, tracking links and
/// spacing still share most of them), and exact hashes of attachments and images (the same PDF or picture).
/// Text is folded first: lower case, digits and punctuation out, a URL reduced to its host and path (query
/// strings and fragments carry per-recipient tracking codes). Stable across processes and machines: FNV-1a
/// and a splitmix64 finaliser per slot, no per-process seeds.
/// </summary>
public sealed partial record FuzzyFingerprint(IReadOnlyList<ulong> Shingles, IReadOnlyList<string> Attachments)
{
    public const int Slots = 32;

    /// <summary>Words of text (after folding) needed for a text fingerprint: a few words match too much unrelated mail.</summary>
    public const int DefaultMinWords = 12;

    /// <summary>Attachments and images smaller than this are not hashed (spacer GIFs and logos are everyone's).</summary>
    private const int MinAttachmentBytes = 512;

    private const int MaxTextChars = 64 * 1024;

    public bool IsEmpty => Shingles.Count == 0 && Attachments.Count == 0;

    public static FuzzyFingerprint Of(MimeMessage message, int minWords = DefaultMinWords)
    {
        var text = new StringBuilder();
        var parts = message.BodyParts.OfType<TextPart>().Where(part => !part.IsAttachment).ToList();
        // The plain part when there is one (HTML alternatives say the same with markup); else HTML's visible text.
        foreach (var part in parts.Any(part => part.IsPlain) ? parts.Where(part => part.IsPlain) : parts)
        {
            if (text.Length >= MaxTextChars)
            {
                break;
            }

            var content = PartContent.Of(part);
            text.Append(WithoutBoilerplate(part.IsHtml ? content.Visible : content.Decoded)).Append('\n');
        }

        return new FuzzyFingerprint(Shingle(Words(text.ToString()), minWords), AttachmentHashes(message));
    }

    /// <summary>
    /// The text without what many unrelated messages share: quoted lines ("> ..."), and everything from a signature
    /// delimiter ("-- ") or a mailing list's footer on (Mailman's line of underscores, Google Groups' "You received
    /// this message because you are subscribed"). Spam posted to a list carries the list's footer; left in, a short
    /// spam's min-hashes came mostly from the footer and matched the list's ham (23 list messages in the simulation).
    /// </summary>
    internal static string WithoutBoilerplate(string text)
    {
        var kept = new StringBuilder(text.Length);
        foreach (var line in text.Split('\n'))
        {
            var trimmed = line.TrimEnd('\r');
            if (trimmed is "-- " or "--" || FooterLine().IsMatch(trimmed))
            {
                break;
            }

            if (!trimmed.TrimStart().StartsWith('>'))
            {
                kept.Append(trimmed).Append('\n');
            }
        }

        return kept.ToString();
    }

    [GeneratedRegex(@"^\s*(_{20,}|-{20,}|You received this message because you are subscribed)", RegexOptions.NonBacktracking)]
    private static partial Regex FooterLine();

    /// <summary>The folded words: URLs as host and path, then letters only, lower case (digits and punctuation are separators).</summary>
    internal static List<string> Words(string text)
    {
        var withoutQueries = UrlQuery().Replace(text.Length > MaxTextChars ? text[..MaxTextChars] : text, "$1");
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (var c in withoutQueries)
        {
            if (char.IsLetter(c))
            {
                word.Append(char.ToLowerInvariant(c));
            }
            else if (word.Length > 0)
            {
                words.Add(word.ToString());
                word.Clear();
            }
        }

        if (word.Length > 0)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    /// <summary>For each of the 32 slots, the least of its hash over every word 3-gram; none below <paramref name="minWords"/> words.</summary>
    internal static IReadOnlyList<ulong> Shingle(List<string> words, int minWords)
    {
        if (words.Count < Math.Max(minWords, 3))
        {
            return [];
        }

        var minimums = new ulong[Slots];
        Array.Fill(minimums, ulong.MaxValue);
        for (var i = 0; i + 2 < words.Count; i++)
        {
            var gram = Fnv1a(words[i], Fnv1a(words[i + 1], Fnv1a(words[i + 2], FnvOffset)));
            for (var slot = 0; slot < Slots; slot++)
            {
                var value = Mix(gram ^ SlotSeed(slot));
                if (value < minimums[slot])
                {
                    minimums[slot] = value;
                }
            }
        }

        return minimums;
    }

    private static IReadOnlyList<string> AttachmentHashes(MimeMessage message) =>
        [.. message.BodyParts.OfType<MimePart>()
            .Where(part => part.IsAttachment || part.ContentType.MediaType.Equals("image", StringComparison.OrdinalIgnoreCase))
            .Select(Decoded)
            .Where(bytes => bytes.Length >= MinAttachmentBytes)
            .Select(bytes => Convert.ToHexStringLower(SHA256.HashData(bytes))[..32])
            .Distinct(StringComparer.Ordinal)
            .Take(8)];

    private static byte[] Decoded(MimePart part)
    {
        if (part.Content is null)
        {
            return [];
        }

        using var buffer = new MemoryStream();
        try
        {
            part.Content.DecodeTo(buffer);
        }
        catch (FormatException)
        {
            return []; // a broken transfer encoding: nothing to compare
        }

        return buffer.ToArray();
    }

    private const ulong FnvOffset = 14695981039346656037;

    private static ulong Fnv1a(string word, ulong hash)
    {
        foreach (var c in word)
        {
            hash = (hash ^ c) * 1099511628211;
        }

        return (hash ^ ' ') * 1099511628211;
    }

    private static ulong SlotSeed(int slot) => Mix(0x9E3779B97F4A7C15UL * (ulong)(slot + 1));

    /// <summary>splitmix64's finaliser: every input bit reaches every output bit.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A URL's query string and fragment (group 1 keeps what comes before); linear time on hostile text.</summary>
    [GeneratedRegex(@"(https?://[^\s?#<>""]*)[?#][^\s<>""]*", RegexOptions.IgnoreCase | RegexOptions.NonBacktracking)]
    private static partial Regex UrlQuery();
}
