namespace Gateway.Core.Headers;

/// <summary>
/// One view of where lines end, for everything after DATA. A bare CR or a bare LF is a line break to some
/// readers and not to others: header stripping split on LF while the downstream's encoder turned a bare CR
/// into CRLF, so "X-Note: a\rX-Spam-Flag: NO" slipped past the stripping as part of X-Note and arrived as
/// a forged field of its own. Every bare CR and bare LF therefore becomes CRLF once, before anything
/// parses the message: stripping, limits, checks, stamping and the downstream all see the same lines.
/// </summary>
public static class LineEndings
{
    /// <summary>
    /// The message with CRLF line endings and without white-space lines before its first field (they would
    /// fold into the last field we stamp on top). The same array when there is nothing to change.
    /// </summary>
    public static byte[] Normalize(byte[] message)
    {
        var orphan = OrphanContinuationLength(message);
        if (orphan == 0 && Pipeline.MessageBytes.IsCrlfOnly(message))
        {
            return message;
        }

        var source = message.AsSpan(orphan);
        var output = new byte[source.Length + CountBare(source)];
        var written = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var current = source[i];
            if (current == '\r')
            {
                output[written++] = (byte)'\r';
                output[written++] = (byte)'\n';
                if (i + 1 < source.Length && source[i + 1] == '\n')
                {
                    i++;
                }
            }
            else if (current == '\n')
            {
                output[written++] = (byte)'\r';
                output[written++] = (byte)'\n';
            }
            else
            {
                output[written++] = current;
            }
        }

        return output;
    }

    /// <summary>Bytes to add: one for each bare CR and each bare LF.</summary>
    private static int CountBare(ReadOnlySpan<byte> message)
    {
        var count = 0;
        for (var i = 0; i < message.Length; i++)
        {
            if (message[i] == '\r')
            {
                if (i + 1 < message.Length && message[i + 1] == '\n')
                {
                    i++;
                }
                else
                {
                    count++;
                }
            }
            else if (message[i] == '\n')
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>Leading lines that start with white space: a continuation of no field.</summary>
    private static int OrphanContinuationLength(ReadOnlySpan<byte> message)
    {
        var position = 0;
        while (position < message.Length && message[position] is (byte)' ' or (byte)'\t')
        {
            var end = message[position..].IndexOfAny((byte)'\r', (byte)'\n');
            if (end < 0)
            {
                return message.Length;
            }

            position += end;
            position += message[position] == '\r' && position + 1 < message.Length && message[position + 1] == '\n' ? 2 : 1;
        }

        return position;
    }
}
