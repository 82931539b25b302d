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

    /// <summary>A multipart/mixed message of about the given size made of tiny text parts (a part bomb).</summary>
    public static byte[] PartBomb(int bytes)
    {
        var builder = new StringBuilder(bytes + 256);
        builder.Append("From: sender@client.bench.test\r\nTo: user@example.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n");
        while (builder.Length < bytes)
        {
            builder.Append("--b\r\n\r\nx\r\n");
        }

        return From(Encoding.ASCII.GetBytes(builder.Append("--b--\r\n").ToString()));
    }

    /// <summary>One attachment whose file name is split into RFC 2231 segments until the message has the given size.</summary>
    public static byte[] ParameterBomb(int bytes)
    {
        var builder = new StringBuilder(bytes + 256);
        builder.Append("From: sender@client.bench.test\r\nTo: user@example.test\r\nSubject: segments\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment");
        for (var i = 0; builder.Length < bytes; i++)
        {
            builder.Append(";\r\n filename*").Append(i).Append("*=us-ascii''abcdefgh");
        }

        return From(Encoding.ASCII.GetBytes(builder.Append("\r\n\r\nAAAA\r\n--b--\r\n").ToString()));
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
