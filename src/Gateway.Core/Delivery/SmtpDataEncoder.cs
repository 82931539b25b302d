using System.Buffers;

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
    public static ReadOnlyMemory<byte> Encode(ReadOnlySequence<byte> message) => Write(message, forDataCommand: true);

    public static ReadOnlyMemory<byte> Encode(ReadOnlySpan<byte> message) => Encode(new ReadOnlySequence<byte>(message.ToArray()));

    /// <summary>The same message with CRLF line endings and nothing else changed (for files on disk).</summary>
    public static ReadOnlyMemory<byte> Normalize(ReadOnlySequence<byte> message) => Write(message, forDataCommand: false);

    public static ReadOnlyMemory<byte> Normalize(ReadOnlySpan<byte> message) => Normalize(new ReadOnlySequence<byte>(message.ToArray()));

    /// <summary>
    /// One pass over the blocks (a line may continue from one block into the next, and a CR ending one
    /// block may pair with an LF starting the next). Returns the output buffer itself, not a copy: a 50 MB
    /// message must not cost another 50 MB here.
    /// </summary>
    private static ReadOnlyMemory<byte> Write(ReadOnlySequence<byte> message, bool forDataCommand)
    {
        var output = new MemoryStream((int)Math.Min(int.MaxValue, message.Length + (message.Length / 64) + 8));
        var atLineStart = true;
        var pendingCr = false;
        foreach (var block in message)
        {
            var span = block.Span;
            while (!span.IsEmpty)
            {
                if (pendingCr)
                {
                    // A CR at the end of the last block: its LF, if any, is here. The CRLF is written already.
                    pendingCr = false;
                    if (span[0] == '\n')
                    {
                        span = span[1..];
                        continue;
                    }
                }

                if (atLineStart && forDataCommand && span[0] == '.')
                {
                    output.WriteByte((byte)'.');
                }

                var end = span.IndexOfAny((byte)'\r', (byte)'\n');
                if (end < 0)
                {
                    output.Write(span);
                    atLineStart = false;
                    break;
                }

                output.Write(span[..end]);
                output.Write("\r\n"u8);
                atLineStart = true;
                if (span[end] == '\r' && end + 1 == span.Length)
                {
                    pendingCr = true;
                    span = [];
                }
                else
                {
                    span = span[(end + (span[end] == '\r' && span[end + 1] == '\n' ? 2 : 1))..];
                }
            }
        }

        // SmtpServer hands us the message without the CRLF before the final dot; every line ends in CRLF again.
        if (!atLineStart)
        {
            output.Write("\r\n"u8);
        }

        if (forDataCommand)
        {
            output.Write(".\r\n"u8);
        }

        return output.GetBuffer().AsMemory(0, (int)output.Length);
    }
}
