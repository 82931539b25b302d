using System.IO.Compression;
using Gateway.Core.Attachments;

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

    public static IReadOnlyList<AttachmentFile> Of(IReadOnlyList<DecodedAttachment> attachments)
    {
        var files = new List<AttachmentFile>();
        foreach (var attachment in attachments)
        {
            // A broken transfer encoding keeps its name; its facts are those of what could be decoded.
            var (part, content) = (attachment.Part, attachment.Content);
            var name = part.FileName ?? string.Empty;
            var names = content.Span.StartsWith("PK"u8) && content.Length <= MaxArchiveBytes ? ZipNames(content) : null;
            var facts = AttachmentFacts.Of(content.Span, names);
            if (FileTypes.IsArchive(facts.Type))
            {
                // An archive's files count as attachments of their own (an Office document's parts do not).
                var entries = ArchiveContents.List(content, out var encrypted, out var unlooked);
                files.Add(new AttachmentFile(name, part.ContentType.MimeType, content.Length, facts with { Encrypted = facts.Encrypted || encrypted, Unlooked = unlooked }));
                files.AddRange(entries.Select(entry => new AttachmentFile(entry.Path, "application/octet-stream", entry.Size, entry.Facts)));
                continue;
            }

            files.Add(new AttachmentFile(name, part.ContentType.MimeType, content.Length, facts));
        }

        return files;
    }

    /// <summary>The entry names of a zip (to tell an Office document from a plain zip); null when it is not a readable zip.</summary>
    private static List<string>? ZipNames(ReadOnlyMemory<byte> archive)
    {
        try
        {
            using var zip = new ZipArchive(Pipeline.MessageBytes.ReadOnlyStream(archive), ZipArchiveMode.Read);
            return [.. zip.Entries.Take(MaxEntries).Select(entry => entry.FullName)];
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
