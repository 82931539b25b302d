using MimeKit;

namespace Gateway.Core.Attachments;

/// <summary>
/// One attachment with its transfer encoding undone, done once per message (<see cref="Pipeline.MessageContext.Attachments"/>)
/// for every reader: the rules' attachment facts and the antivirus check both need the bytes, and decoding a
/// large base64 attachment twice was the same work twice.
/// </summary>
/// <param name="Broken">The transfer encoding could not be undone to the end: <see cref="Content"/> holds what could.</param>
public sealed record DecodedAttachment(MimePart Part, ReadOnlyMemory<byte> Content, bool Broken)
{
    /// <summary>What counts as an attachment: marked as one, or named (inline images and files carry a name too).</summary>
    public static bool IsAttachment(MimePart part) => part.IsAttachment || part.FileName is not null;

    public static IReadOnlyList<DecodedAttachment> Of(MimeMessage message)
    {
        var attachments = new List<DecodedAttachment>();
        foreach (var part in message.BodyParts.OfType<MimePart>().Where(IsAttachment))
        {
            var decoded = new MemoryStream(DecodedSizeAtMost(part));
            var broken = false;
            try
            {
                part.Content?.DecodeTo(decoded);
            }
            catch (Exception exception) when (exception is FormatException or InvalidOperationException or IOException)
            {
                broken = true;
            }

            attachments.Add(new DecodedAttachment(part, decoded.GetBuffer().AsMemory(0, (int)decoded.Length), broken));
        }

        return attachments;
    }

    /// <summary>
    /// Room for the decoded bytes, from the encoded length (base64 decodes to three quarters of it, other
    /// encodings to at most all of it), so the buffer is allocated once: grown by doubling from nothing, a
    /// 700 KB attachment left about 1.4 MB of discarded buffers behind, most in the large object heap.
    /// </summary>
    private static int DecodedSizeAtMost(MimePart part)
    {
        var encoded = part.Content?.Stream is { CanSeek: true } stream ? stream.Length : 0;
        var decoded = part.ContentTransferEncoding == ContentEncoding.Base64 ? (encoded / 4 * 3) + 3 : encoded;
        return (int)Math.Clamp(decoded, 0, int.MaxValue / 2);
    }
}
