using MimeKit;

namespace Gateway.Core.Content;

/// <summary>
/// The shape limits a message must meet before it is parsed into a tree: parts in all
/// (limits.max_mime_parts) and parameters in one Content-Type or Content-Disposition field
/// (limits.max_mime_parameters). Both shapes are cheap to send and dear to parse: 16.7 MB of 400,000
/// tiny parts cost 1.85 GB and 22 CPU seconds as a tree, and 0.25 MB of RFC 2231 filename segments
/// (filename*0*=, filename*1*=, ...) cost MimeKit +275 MB to join. MimeKit's streaming
/// <see cref="MimeReader"/> walks the structure without building it or decoding any content, and stops at
/// the first part or field over the limit, so the walk itself stays small whatever the input.
/// </summary>
public static class MimeComplexity
{
    /// <summary>Why the message is refused, or null when it is within both limits.</summary>
    public static string? Exceeds(ReadOnlyMemory<byte> raw, int maxParts, int maxParameters, CancellationToken cancellationToken)
    {
        if (!MightExceed(raw.Span, maxParts, maxParameters))
        {
            return null;
        }

        var counter = new Counter(Pipeline.MessageBytes.ReadOnlyStream(raw), maxParts, maxParameters);
        try
        {
            counter.ReadMessage(cancellationToken);
            return null;
        }
        catch (LimitReachedException exception)
        {
            return exception.Message;
        }
        catch (FormatException)
        {
            return null; // not MIME enough to count: the parser's own leniency takes over
        }
    }

    /// <summary>
    /// A raw pre-check that lets nearly every message skip the walk: a part needs a delimiter line (one
    /// that starts with "--"), and a parameter needs a ';'. Fewer of those than the limits: within them.
    /// </summary>
    private static bool MightExceed(ReadOnlySpan<byte> raw, int maxParts, int maxParameters)
    {
        var delimiters = raw.StartsWith("--"u8) ? 1 : 0;
        var position = 0;
        int next;
        while ((next = raw[position..].IndexOf("\n--"u8)) >= 0)
        {
            if (++delimiters > maxParts)
            {
                return true;
            }

            position += next + 3;
        }

        return raw.Count((byte)';') > maxParameters;
    }

    private sealed class LimitReachedException(string message) : Exception(message);

    private sealed class Counter(Stream stream, int maxParts, int maxParameters) : MimeReader(stream, MimeFormat.Entity)
    {
        private int _parts;

        protected override void OnHeaderRead(Header header, int beginLineNumber, CancellationToken cancellationToken)
        {
            // Before the reader parses the field's parameters (at the end of the part's header).
            if (header.Id is HeaderId.ContentType or HeaderId.ContentDisposition && header.RawValue.AsSpan().Count((byte)';') > maxParameters)
            {
                throw new LimitReachedException($"{header.Field} with more than {maxParameters} parameters");
            }
        }

        protected override void OnMimePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken) => Count();

        protected override void OnMultipartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken) => Count();

        protected override void OnMessagePartBegin(ContentType contentType, long beginOffset, int beginLineNumber, CancellationToken cancellationToken) => Count();

        private void Count()
        {
            if (++_parts > maxParts)
            {
                throw new LimitReachedException($"more than {maxParts} MIME parts");
            }
        }
    }
}
