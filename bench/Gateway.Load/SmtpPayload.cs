using System.Text;

namespace Gateway.Load;

/// <summary>Raw RFC 822 bytes as a DATA payload: CRLF line ends, dot-stuffed, CRLF.CRLF at the end.</summary>
internal static class SmtpPayload
{
    public static byte[] From(byte[] raw)
    {
        var text = Encoding.Latin1.GetString(raw).ReplaceLineEndings("\r\n");
        var builder = new StringBuilder(text.Length + 64);
        foreach (var line in text.Split("\r\n"))
        {
            builder.Append(line.StartsWith('.') ? "." : string.Empty).Append(line).Append("\r\n");
        }

        if (!text.EndsWith("\r\n", StringComparison.Ordinal))
        {
            builder.Append("\r\n");
        }

        return Encoding.Latin1.GetBytes(builder.Append(".\r\n").ToString());
    }

    /// <summary>A plain-text message of about the given size, lines of 78 characters.</summary>
    public static byte[] OfSize(int bytes, string subject)
    {
        var builder = new StringBuilder(bytes + 256);
        builder.Append($"From: Sender <sender@client.bench.test>\r\nTo: user@example.test\r\nSubject: {subject}\r\nMessage-ID: <{Guid.NewGuid():N}@client.bench.test>\r\n\r\n");
        var words = "the quarterly report is attached and the meeting moved to thursday at ten ".Split(' ');
        var line = new StringBuilder();
        for (var i = 0; builder.Length < bytes; i++)
        {
            line.Append(words[i % words.Length]).Append(' ');
            if (line.Length > 70)
            {
                builder.Append(line).Append("\r\n");
                line.Clear();
            }
        }

        return Encoding.ASCII.GetBytes(builder.Append(".\r\n").ToString());
    }
}
