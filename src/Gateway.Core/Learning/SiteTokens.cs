using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Gateway.Core.Classification;
using MimeKit;

namespace Gateway.Core.Learning;

/// <summary>
/// What site learning counts in a message: the words a reader sees and pairs of adjacent words (rspamd's
/// tokenizer also pairs words; pairs tell "free shipping" from "free software"), subject words marked as
/// such, link domains (the classifier's xlink words) and the From domain. Each token is counted once per
/// message and hashed to 64 bits (XxHash64), so the store never holds mail text. The text comes from
/// <see cref="MessageFeatures"/>, the same view the shipped classifier has.
/// </summary>
public static class SiteTokens
{
    /// <summary>At most this many distinct tokens per message, first come first: the start says what a message is, and a learned message stays small in the store.</summary>
    public const int MaxPerMessage = 200;

    private const int MinWordLength = 2;
    private const int MaxWordLength = 32;

    public static IReadOnlyList<string> Of(MimeMessage message, MessageFeatures features)
    {
        var tokens = new List<string>(MaxPerMessage);
        var seen = new HashSet<string>(MaxPerMessage, StringComparer.Ordinal);
        void Add(string token)
        {
            if (tokens.Count < MaxPerMessage && seen.Add(token))
            {
                tokens.Add(token);
            }
        }

        if (message.From.Mailboxes.FirstOrDefault()?.Domain is { Length: > 0 } fromDomain)
        {
            Add("from:" + SenderIdentity.Organisation(fromDomain));
        }

        foreach (var word in Words(message.Subject ?? string.Empty))
        {
            Add("s:" + word);
        }

        string? previous = null;
        foreach (var word in Words(features.Text))
        {
            if (tokens.Count == MaxPerMessage)
            {
                // Full: no later word can be added, and reading on cut every word of 16 KB of text into strings.
                break;
            }

            Add(word);
            if (previous is not null)
            {
                Add(previous + " " + word);
            }

            previous = word;
        }

        return tokens;
    }

    public static ulong Hash(string token)
    {
        // The token's UTF-8 bytes without an array per token (a message has up to 200 of them).
        var length = Encoding.UTF8.GetMaxByteCount(token.Length);
        byte[]? rented = null;
        Span<byte> bytes = length <= 512 ? stackalloc byte[512] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        try
        {
            return XxHash64.HashToUInt64(bytes[..Encoding.UTF8.GetBytes(token, bytes)]);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    public static IReadOnlyList<ulong> Hashes(IReadOnlyList<string> tokens) => [.. tokens.Select(Hash)];

    /// <summary>
    /// A message's hashes as learned and as looked up: its tokens', then, for a From domain DMARC proved
    /// (<see cref="SenderIdentity.AlignedOf(Pipeline.MessageContext)"/>), the sender's as a token of its own,
    /// last. Counted like any token (so forget, expiry and a relabel undo it too) but scored apart, as
    /// SITE_SENDER_HAM. None without one: a From header anyone can write must not earn the reputation of the
    /// domain it names.
    /// </summary>
    public static IReadOnlyList<ulong> Hashes(IReadOnlyList<string> tokens, string? alignedSender) =>
        string.IsNullOrEmpty(alignedSender) ? Hashes(tokens) : [.. tokens.Select(Hash), Hash("sender:" + alignedSender)];

    /// <summary>
    /// The key of a learned message: SHA-256 of its body (what follows the first empty line), so headers
    /// our own gateway or a forwarder added do not make the same message two.
    /// </summary>
    public static string MessageKey(ReadOnlySpan<byte> raw)
    {
        var body = raw;
        for (var i = 0; i + 1 < raw.Length; i++)
        {
            if (raw[i] == '\n' && (raw[i + 1] == '\n' || (raw[i + 1] == '\r' && i + 2 < raw.Length && raw[i + 2] == '\n')))
            {
                body = raw[(i + (raw[i + 1] == '\n' ? 2 : 3))..];
                break;
            }
        }

        return Convert.ToHexStringLower(SHA256.HashData(body).AsSpan(0, 16));
    }

    /// <summary>Lower-case words of letters and digits, 2-32 long, not numbers alone (dates and amounts differ in every message).</summary>
    private static IEnumerable<string> Words(string text) => Content.TextWords.Runs(text)
        .Where(run => run.Length is >= MinWordLength and <= MaxWordLength && text.AsSpan(run.Start, run.Length).ContainsAnyExceptInRange('0', '9'))
        .Select(run => text.Substring(run.Start, run.Length).ToLowerInvariant());
}
