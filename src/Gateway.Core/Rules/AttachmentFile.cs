using System.IO.Compression;
using MimeKit;

namespace Gateway.Core.Rules;

/// <summary>
/// One attached file as rules see it: a MIME attachment, or a file inside a zip attachment (malware ships
/// zipped to get past extension checks). Archive reading is bounded: small archives, first entries only.
/// </summary>
public sealed record AttachmentFile(string Name, string ContentType, long Size)
{
    private const long MaxArchiveBytes = 10 * 1024 * 1024;
    private const int MaxEntries = 100;

    public string Extension => Path.GetExtension(Name).TrimStart('.');

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
            files.Add(new AttachmentFile(name, part.ContentType.MimeType, decoded.Length));
            if (name.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) && decoded.Length is > 0 and <= MaxArchiveBytes)
            {
                files.AddRange(ZipEntries(decoded));
            }
        }

        return files;
    }

    private static IEnumerable<AttachmentFile> ZipEntries(MemoryStream archive)
    {
        archive.Position = 0;
        try
        {
            using var zip = new ZipArchive(archive, ZipArchiveMode.Read, leaveOpen: true);
            return [.. zip.Entries.Take(MaxEntries).Where(entry => entry.Name.Length > 0).Select(entry => new AttachmentFile(entry.FullName, "application/octet-stream", entry.Length))];
        }
        catch (InvalidDataException)
        {
            // Not a readable zip (or encrypted headers): nothing more to see.
            return [];
        }
    }
}
