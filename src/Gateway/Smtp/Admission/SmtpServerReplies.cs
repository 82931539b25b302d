namespace Gateway.Smtp.Admission;

/// <summary>
/// Undoes what SmtpServer adds to replies. It appends ", N retry(ies) remaining." to every refusal written
/// through an exception — including a downstream's "550 5.1.1 User unknown" we pass on — and there is no
/// option to turn that off. Clients and their logs should read the reply as we (or the downstream) wrote it.
/// </summary>
internal static class SmtpServerReplies
{
    private static ReadOnlySpan<byte> Suffix => " retry(ies) remaining.\r\n"u8;

    /// <summary>The written bytes with the retry count taken off every reply line that has one (most have none: no copy then).</summary>
    public static ReadOnlyMemory<byte> WithoutRetryCount(ReadOnlyMemory<byte> written)
    {
        if (written.Span.IndexOf(Suffix) < 0)
        {
            return written;
        }

        var result = new List<byte>(written.Length);
        var rest = written.Span;
        while (rest.Length > 0)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..(end + 1)];
            rest = rest[line.Length..];
            result.AddRange(StripCount(line));
        }

        return result.ToArray();
    }

    /// <summary>"550 5.1.1 User unknown, 4 retry(ies) remaining.\r\n" → "550 5.1.1 User unknown\r\n".</summary>
    private static ReadOnlySpan<byte> StripCount(ReadOnlySpan<byte> line)
    {
        if (!line.EndsWith(Suffix))
        {
            return line;
        }

        var start = line.Length - Suffix.Length;
        while (start > 0 && char.IsAsciiDigit((char)line[start - 1]))
        {
            start--;
        }

        if (start < 2 || !line[(start - 2)..start].SequenceEqual(", "u8) || start == line.Length - Suffix.Length)
        {
            return line;
        }

        return (byte[])[.. line[..(start - 2)], (byte)'\r', (byte)'\n'];
    }
}
