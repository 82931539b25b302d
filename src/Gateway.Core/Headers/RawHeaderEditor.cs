using System.Buffers;
using System.Text;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Headers;

/// <summary>
/// Edits the header section of a raw message without re-serialising anything: fields the predicate picks
/// are removed (with their folded continuation lines) and new fields are put on top. Every other byte,
/// the body included, stays exactly as the client sent it, so DKIM signatures keep verifying downstream.
/// The result is the new header block followed by slices of the original: nothing big is copied.
/// </summary>
public static class RawHeaderEditor
{
    /// <summary>Whether to drop a field, given its name and its raw value (unfold it with <see cref="Unfold"/> when needed).</summary>
    public delegate bool FieldFilter(string name, ReadOnlySpan<byte> rawValue);

    /// <param name="remove">Given a field's name and raw value, whether to drop it.</param>
    public static ReadOnlySequence<byte> Rewrite(ReadOnlyMemory<byte> original, IReadOnlyList<string> prepend, FieldFilter remove)
    {
        var message = original.Span;
        // Sized for the header section and the new fields: grown from 1 KB, an 8 KB header section cost 31 KB of buffers.
        var output = new MemoryStream(HeaderSectionEstimate(message) + prepend.Sum(field => field.Length + 2));
        foreach (var field in prepend)
        {
            output.Write(Encoding.UTF8.GetBytes(field));
            output.Write("\r\n"u8);
        }

        var position = 0;
        while (position < message.Length)
        {
            var fieldEnd = EndOfLine(message, position);
            if (IsEmptyLine(message[position..fieldEnd]))
            {
                // End of the header section: the rest is the body, copied whole.
                break;
            }

            while (fieldEnd < message.Length && message[fieldEnd] is (byte)' ' or (byte)'\t')
            {
                fieldEnd = EndOfLine(message, fieldEnd);
            }

            var field = message[position..fieldEnd];
            var colon = field.IndexOf((byte)':');
            var drop = colon > 0 && remove(Encoding.ASCII.GetString(field[..colon]).TrimEnd(), field[(colon + 1)..]);
            if (!drop)
            {
                output.Write(field);
            }

            position = fieldEnd;
        }

        return MessageBytes.Of(output.GetBuffer().AsMemory(0, (int)output.Length), original[position..]);
    }

    /// <summary>
    /// A raw field value as one line of text: line breaks of the folding dropped, outer white space
    /// trimmed. Only filters that look at a value pay for it (most fields are judged by name).
    /// </summary>
    public static string Unfold(ReadOnlySpan<byte> rawValue) => OneLine(Encoding.UTF8.GetString(rawValue));

    /// <summary>Line breaks of the folding dropped, outer white space trimmed.</summary>
    private static string OneLine(string value) =>
        value.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal).Trim();

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The first field of that name, its value unfolded (null when the header section has none); false when its
    /// bytes are not UTF-8 (a legacy 8-bit header), which text cannot carry back unchanged.
    /// </summary>
    public static bool TryFieldValue(ReadOnlyMemory<byte> original, string name, out string? found)
    {
        string? value = null;
        var readable = true;
        Rewrite(original, [], (field, raw) =>
        {
            if (value is null && readable && field.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                try
                {
                    value = OneLine(StrictUtf8.GetString(raw));
                }
                catch (DecoderFallbackException)
                {
                    readable = false;
                }
            }

            return false;
        });
        found = value;
        return readable;
    }

    /// <summary>Where the first empty line (CRLF or LF line ends) is, or the whole message: only a capacity, never a boundary.</summary>
    private static int HeaderSectionEstimate(ReadOnlySpan<byte> message)
    {
        // Messages arrive with CRLF (LineEndings); an LF-only one is looked for only before that, not through a whole body.
        var crlf = message.IndexOf("\r\n\r\n"u8);
        var lf = message[..(crlf < 0 ? message.Length : crlf)].IndexOf("\n\n"u8);
        var end = lf >= 0 ? lf : crlf;
        return end < 0 ? message.Length : end + 4;
    }

    private static int EndOfLine(ReadOnlySpan<byte> message, int start)
    {
        var newline = message[start..].IndexOf((byte)'\n');
        return newline < 0 ? message.Length : start + newline + 1;
    }

    private static bool IsEmptyLine(ReadOnlySpan<byte> line) =>
        line.SequenceEqual("\r\n"u8) || line.SequenceEqual("\n"u8) || line.SequenceEqual("\r"u8);
}
