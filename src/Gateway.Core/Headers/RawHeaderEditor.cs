using System.Buffers;
using System.Text;
using Gateway.Core.Delivery;

namespace Gateway.Core.Headers;

/// <summary>
/// Edits the header section of a raw message without re-serialising anything: fields the predicate picks
/// are removed (with their folded continuation lines) and new fields are put on top. Every other byte,
/// the body included, stays exactly as the client sent it, so DKIM signatures keep verifying downstream.
/// The result is the new header block followed by slices of the original: nothing big is copied.
/// </summary>
public static class RawHeaderEditor
{
    /// <param name="remove">Given a field's name and unfolded value, whether to drop it.</param>
    public static ReadOnlySequence<byte> Rewrite(ReadOnlyMemory<byte> original, IReadOnlyList<string> prepend, Func<string, string, bool> remove)
    {
        var message = original.Span;
        var output = new MemoryStream(1024);
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
            var drop = colon > 0 && remove(
                Encoding.ASCII.GetString(field[..colon]).TrimEnd(),
                Encoding.UTF8.GetString(field[(colon + 1)..]).Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal).Trim());
            if (!drop)
            {
                output.Write(field);
            }

            position = fieldEnd;
        }

        return MessageBytes.Of(output.GetBuffer().AsMemory(0, (int)output.Length), original[position..]);
    }

    private static int EndOfLine(ReadOnlySpan<byte> message, int start)
    {
        var newline = message[start..].IndexOf((byte)'\n');
        return newline < 0 ? message.Length : start + newline + 1;
    }

    private static bool IsEmptyLine(ReadOnlySpan<byte> line) =>
        line.SequenceEqual("\r\n"u8) || line.SequenceEqual("\n"u8) || line.SequenceEqual("\r"u8);
}
