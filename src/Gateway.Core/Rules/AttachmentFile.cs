using System.IO.Compression;
using Gateway.Core.Attachments;
using MimeKit;

namespace Gateway.Core.Rules;

/// <summary>
/// One attached file as rules see it: a MIME attachment, or a file inside a zip attachment (malware ships
/// zipped to get past extension checks), with what its bytes say (<see cref="AttachmentFacts"/>: true
/// type, macros, encryption, active HTML). Archive reading is bounded: small archives, first entries,
/// the head of each entry only.
/// </summary>
public sealed record AttachmentFile(string Name, string ContentType, long Size, AttachmentFacts Facts)
{
    private const long MaxArchiveBytes = 10 * 1024 * 1024;
    private const int MaxEntries = 100;

    public string Extension => Path.GetExtension(Name).TrimStart('.');

    /// <summary>The detected type contradicts the name or the declared content type.</summary>
    public bool TypeMismatch => AttachmentFacts.Contradicts(Facts.Type, Name, ContentType);

    public static IReadOnlyList<AttachmentFile> Of(MimeMessage message)
    {
        var files = new List<AttachmentFile>();
        foreach (var part in message.BodyParts.OfType<MimePart>().Where(part => part.IsAttachment || part.FileName is not null))
        {
            using var decoded = new MemoryStream();
            try
            {
                part.Content?.DecodeTo(decoded);
            }
            catch (Exception exception) when (exception is FormatException or InvalidOperationException or IOException)
            {
                // A broken transfer encoding: keep the name, size unknown.
            }

            var name = part.FileName ?? string.Empty;
            var bytes = decoded.GetBuffer().AsSpan(0, (int)decoded.Length);
            var names = bytes.StartsWith("PK"u8) && decoded.Length <= MaxArchiveBytes ? ZipEntries(decoded, readHeads: false)?.Select(entry => entry.Name).ToList() : null;
            var facts = AttachmentFacts.Of(bytes, names);
            files.Add(new AttachmentFile(name, part.ContentType.MimeType, decoded.Length, facts));
            if (facts.Type == FileTypes.Zip && ZipEntries(decoded, readHeads: true) is { } entries)
            {
                // A plain zip's files count as attachments of their own; an Office document's parts do not.
                files.AddRange(entries);
            }
        }

        return files;
    }

    /// <summary>The entries of a zip (names, sizes and, with <paramref name="readHeads"/>, what their first bytes are); null when it is not a readable zip.</summary>
    private static List<AttachmentFile>? ZipEntries(MemoryStream archive, bool readHeads)
    {
        archive.Position = 0;
        try
        {
            using var zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
            var files = new List<AttachmentFile>();
            foreach (var entry in zip.Entries.Take(MaxEntries).Where(entry => entry.Name.Length > 0))
            {
                files.Add(new AttachmentFile(entry.FullName, "application/octet-stream", entry.Length, readHeads ? AttachmentFacts.Of(Head(entry), null) : AttachmentFacts.None));
            }

            return files;
        }
        catch (InvalidDataException)
        {
            // Not a readable zip (or encrypted headers): nothing more to see.
            return null;
        }
    }

    /// <summary>The first bytes of an entry, enough to tell its type (empty when it cannot be read: encrypted, an unknown method).</summary>
    private static byte[] Head(ZipArchiveEntry entry)
    {
        try
        {
            using var stream = entry.Open();
            var head = new byte[(int)Math.Min(entry.Length, FileTypes.HeadLength)];
            stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            return head;
        }
        catch (Exception exception) when (exception is InvalidDataException or NotSupportedException or IOException)
        {
            return [];
        }
    }
}
