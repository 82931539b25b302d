using System.Text;

namespace Gateway.Core.Headers;

/// <summary>
/// Edits the header section of a raw message without re-serialising anything: named fields are removed
/// (with their folded continuation lines) and new fields are put on top. Every other byte, the body
/// included, stays exactly as the client sent it, so DKIM signatures keep verifying downstream.
/// </summary>
public static class RawHeaderEditor
{
    public static byte[] Rewrite(ReadOnlySpan<byte> message, IReadOnlyList<string> prepend, IReadOnlySet<string> remove)
    {
        var output = new MemoryStream(message.Length + 512);
        foreach (var field in prepend)
        {
            output.Write(Encoding.UTF8.GetBytes(field));
            output.Write("\r\n"u8);
        }

        var position = 0;
        var dropping = false;
        while (position < message.Length)
        {
            var lineEnd = message[position..].IndexOf((byte)'\n');
            var next = lineEnd < 0 ? message.Length : position + lineEnd + 1;
            var line = message[position..next];
            if (IsEmptyLine(line))
            {
                // End of the header section: the rest is the body, copied whole.
                output.Write(message[position..]);
                return output.ToArray();
            }

            var isContinuation = line[0] is (byte)' ' or (byte)'\t';
            if (!isContinuation)
            {
                dropping = remove.Count > 0 && remove.Contains(FieldName(line));
            }

            if (!dropping)
            {
                output.Write(line);
            }

            position = next;
        }

        return output.ToArray();
    }

    private static bool IsEmptyLine(ReadOnlySpan<byte> line) =>
        line.SequenceEqual("\r\n"u8) || line.SequenceEqual("\n"u8) || line.SequenceEqual("\r"u8);

    private static string FieldName(ReadOnlySpan<byte> line)
    {
        var colon = line.IndexOf((byte)':');
        return colon <= 0 ? string.Empty : Encoding.ASCII.GetString(line[..colon]).TrimEnd();
    }
}
