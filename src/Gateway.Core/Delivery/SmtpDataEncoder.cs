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
    /// <summary>Input read per step when streaming: the encoded copy never holds more than about this much.</summary>
    private const int ChunkSize = 64 * 1024;

    /// <summary>The wire form for DATA: normalised, dot-stuffed, terminated.</summary>
    public static ReadOnlyMemory<byte> Encode(ReadOnlySequence<byte> message) => Write(message, forDataCommand: true);

    public static ReadOnlyMemory<byte> Encode(ReadOnlySpan<byte> message) => Encode(new ReadOnlySequence<byte>(message.ToArray()));

    /// <summary>The same message with CRLF line endings and nothing else changed (for files on disk).</summary>
    public static ReadOnlyMemory<byte> Normalize(ReadOnlySequence<byte> message) => Write(message, forDataCommand: false);

    public static ReadOnlyMemory<byte> Normalize(ReadOnlySpan<byte> message) => Normalize(new ReadOnlySequence<byte>(message.ToArray()));

    /// <summary>
    /// Whether every line already ends in CRLF, with no bare CR or LF, and the message ends with CRLF: then
    /// it can go as a BDAT chunk exactly as it is. A vectorised search from line end to line end.
    /// </summary>
    public static bool IsCanonical(ReadOnlySequence<byte> message)
    {
        if (message.IsEmpty)
        {
            return true;
        }

        var previous = (byte)0; // the last byte of the blocks before
        foreach (var block in message)
        {
            var span = block.Span;
            if (span.IsEmpty)
            {
                continue;
            }

            if (previous == '\r' && span[0] != '\n')
            {
                return false;
            }

            for (var offset = 0; offset < span.Length;)
            {
                var found = span[offset..].IndexOfAny((byte)'\r', (byte)'\n');
                if (found < 0)
                {
                    break;
                }

                var at = offset + found;
                var bare = span[at] == '\n'
                    ? (at > 0 ? span[at - 1] : previous) != '\r'
                    : at + 1 < span.Length && span[at + 1] != '\n';
                if (bare)
                {
                    return false;
                }

                offset = at + 1;
            }

            previous = span[^1];
        }

        return previous == '\n' && message.Length >= 2;
    }

    /// <summary>
    /// The DATA wire form written to <paramref name="destination"/> in chunks of about 64 KB: a 50 MB
    /// message is not copied whole once more on its way downstream (bench/RESULTS.md, memory).
    /// </summary>
    public static async Task WriteDataAsync(ReadOnlySequence<byte> message, Stream destination, CancellationToken cancellationToken)
    {
        var state = new LineState(forDataCommand: true);
        // Room for one chunk and its stuffing, or for the whole message if smaller (most are: no 72 KB buffer per message).
        using var chunk = new MemoryStream((int)Math.Min(ChunkSize + (ChunkSize / 8), message.Length + (message.Length / 32) + 8));
        foreach (var block in message)
        {
            for (var offset = 0; offset < block.Length; offset += ChunkSize)
            {
                state.Append(block.Span.Slice(offset, Math.Min(ChunkSize, block.Length - offset)), chunk);
                if (chunk.Length >= ChunkSize)
                {
                    await destination.WriteAsync(chunk.GetBuffer().AsMemory(0, (int)chunk.Length), cancellationToken);
                    chunk.SetLength(0);
                }
            }
        }

        state.Finish(chunk);
        await destination.WriteAsync(chunk.GetBuffer().AsMemory(0, (int)chunk.Length), cancellationToken);
    }

    /// <summary>Returns the output buffer itself, not a copy.</summary>
    private static ReadOnlyMemory<byte> Write(ReadOnlySequence<byte> message, bool forDataCommand)
    {
        var output = new MemoryStream((int)Math.Min(int.MaxValue, message.Length + (message.Length / 64) + 8));
        var state = new LineState(forDataCommand);
        foreach (var block in message)
        {
            state.Append(block.Span, output);
        }

        state.Finish(output);
        return output.GetBuffer().AsMemory(0, (int)output.Length);
    }

    /// <summary>
    /// Where the encoder stands between pieces of input: a line may continue from one piece into the next,
    /// and a CR ending one piece may pair with an LF starting the next.
    /// </summary>
    private sealed class LineState(bool forDataCommand)
    {
        private bool _atLineStart = true;
        private bool _pendingCr;

        public void Append(ReadOnlySpan<byte> span, MemoryStream output)
        {
            while (!span.IsEmpty)
            {
                if (_pendingCr)
                {
                    // A CR at the end of the last piece: its LF, if any, is here. The CRLF is written already.
                    _pendingCr = false;
                    if (span[0] == '\n')
                    {
                        span = span[1..];
                        continue;
                    }
                }

                if (_atLineStart && forDataCommand && span[0] == '.')
                {
                    output.WriteByte((byte)'.');
                }

                var end = span.IndexOfAny((byte)'\r', (byte)'\n');
                if (end < 0)
                {
                    output.Write(span);
                    _atLineStart = false;
                    return;
                }

                output.Write(span[..end]);
                output.Write("\r\n"u8);
                _atLineStart = true;
                if (span[end] == '\r' && end + 1 == span.Length)
                {
                    _pendingCr = true;
                    return;
                }

                span = span[(end + (span[end] == '\r' && span[end + 1] == '\n' ? 2 : 1))..];
            }
        }

        public void Finish(MemoryStream output)
        {
            // SmtpServer hands us the message without the CRLF before the final dot; every line ends in CRLF again.
            if (!_atLineStart)
            {
                output.Write("\r\n"u8);
            }

            if (forDataCommand)
            {
                output.Write(".\r\n"u8);
            }
        }
    }
}
