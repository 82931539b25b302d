namespace Gateway.Core.Headers;

/// <summary>Measures the header section of a raw message without parsing it, for the header limits.</summary>
public static class HeaderLimits
{
    /// <summary>Bytes up to the empty line, and the number of fields (continuation lines belong to their field).</summary>
    public static (int Size, int Fields) Measure(ReadOnlySpan<byte> message)
    {
        var position = 0;
        var fields = 0;
        while (position < message.Length)
        {
            var newline = message[position..].IndexOf((byte)'\n');
            var end = newline < 0 ? message.Length : position + newline + 1;
            var line = message[position..end];
            if (line.Length <= 2 && line.TrimEnd("\r\n"u8).IsEmpty)
            {
                return (position, fields);
            }

            if (line[0] is not (byte)' ' and not (byte)'\t')
            {
                fields++;
            }

            position = end;
        }

        return (position, fields);
    }
}
