using System.IO.Compression;
using Gateway.Core.Attachments;
using MimeKit;

namespace Gateway.Core.Rules;

/// <summary>
/// One attached file as rules see it: a MIME attachment, or a file inside a zip attachment (malware ships
/// in archives to get past extension checks: zip, rar, 7z, tar, gzip, nested, <see cref="ArchiveContents"/>),
/// with what its bytes say (<see cref="AttachmentFacts"/>: true type, macros, encryption, active HTML).
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
            var names = bytes.StartsWith("PK"u8) && decoded.Length <= MaxArchiveBytes ? ZipNames(decoded) : null;
            var facts = AttachmentFacts.Of(bytes, names);
            if (FileTypes.IsArchive(facts.Type))
            {
                // An archive's files count as attachments of their own (an Office document's parts do not).
                var entries = ArchiveContents.List(decoded.GetBuffer().AsMemory(0, (int)decoded.Length), out var encrypted, out var unlooked);
                files.Add(new AttachmentFile(name, part.ContentType.MimeType, decoded.Length, facts with { Encrypted = facts.Encrypted || encrypted, Unlooked = unlooked }));
                files.AddRange(entries.Select(entry => new AttachmentFile(entry.Path, "application/octet-stream", entry.Size, entry.Facts)));
                continue;
            }

            files.Add(new AttachmentFile(name, part.ContentType.MimeType, decoded.Length, facts));
        }

        return files;
    }

    /// <summary>The entry names of a zip (to tell an Office document from a plain zip); null when it is not a readable zip.</summary>
    private static List<string>? ZipNames(MemoryStream archive)
    {
        archive.Position = 0;
        try
        {
            using var zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
            return [.. zip.Entries.Take(MaxEntries).Select(entry => entry.FullName)];
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
