namespace Gateway.Core.Delivery;

/// <summary>
/// Encodes a message for SMTP DATA. Line endings are normalised first (bare CR and bare LF become CRLF),
/// and only then are lines that start with '.' stuffed; a final CRLF "." CRLF is appended. In that order
/// no sequence the client sent (<c>&lt;LF&gt;.&lt;LF&gt;</c>, <c>&lt;CR&gt;.&lt;CR&gt;</c>, ...) can end DATA
/// early at the downstream: it always sees exactly the one message we saw (SMTP smuggling, CVE-2023-51764).
/// Messages that already use CRLF come out byte for byte, plus the stuffing.
/// </summary>
public static class SmtpDataEncoder
{
    /// <summary>The wire form for DATA: normalised, dot-stuffed, terminated.</summary>
    public static byte[] Encode(ReadOnlySpan<byte> message) => Write(message, forDataCommand: true);

    /// <summary>The same message with CRLF line endings and nothing else changed (for files on disk).</summary>
    public static byte[] Normalize(ReadOnlySpan<byte> message) => Write(message, forDataCommand: false);

    private static byte[] Write(ReadOnlySpan<byte> message, bool forDataCommand)
    {
        var output = new MemoryStream(message.Length + (message.Length / 64) + 8);
        var endsWithLineBreak = true;
        while (!message.IsEmpty)
        {
            // Here we are always at the start of a line.
            if (forDataCommand && message[0] == '.')
            {
                output.WriteByte((byte)'.');
            }

            var end = message.IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                output.Write(message);
                endsWithLineBreak = false;
                break;
            }

            output.Write(message[..end]);
            output.Write("\r\n"u8);
            var lineBreakLength = message[end] == '\r' && end + 1 < message.Length && message[end + 1] == '\n' ? 2 : 1;
            message = message[(end + lineBreakLength)..];
        }

        // SmtpServer hands us the message without the CRLF before the final dot; every line ends in CRLF again.
        if (!endsWithLineBreak)
        {
            output.Write("\r\n"u8);
        }

        if (forDataCommand)
        {
            output.Write(".\r\n"u8);
        }

        return output.ToArray();
    }
}
