using System.Text;

namespace Gateway.Core.Attachments;

/// <summary>What an attachment's bytes say about it: its true type, macros, encryption, active content.</summary>
/// <param name="Unlooked">An archive too deep, too big or with too many files to look into completely (<see cref="ArchiveContents"/>'s limits).</param>
public sealed record AttachmentFacts(string Type, bool Macro, bool Encrypted, IReadOnlyList<string> Active, bool Unlooked = false)
{
    public static readonly AttachmentFacts None = new(FileTypes.Unknown, false, false, []);

    /// <param name="zipEntries">The entry names when the file is a zip container (null otherwise).</param>
    public static AttachmentFacts Of(ReadOnlySpan<byte> content, IReadOnlyCollection<string>? zipEntries)
    {
        var type = FileTypes.Detect(content[..Math.Min(content.Length, FileTypes.HeadLength)], zipEntries);
        var macro = type switch
        {
            FileTypes.OfficeOpenXml or FileTypes.Zip => zipEntries?.Any(entry => entry.EndsWith("vbaProject.bin", StringComparison.OrdinalIgnoreCase) || entry.StartsWith("xl/macrosheets/", StringComparison.OrdinalIgnoreCase)) == true,
            FileTypes.Ole2 => OleHasMacros(content),
            _ => false,
        };
        var encrypted = type switch
        {
            FileTypes.Zip => ZipIsEncrypted(content),
            FileTypes.Ole2 => content.IndexOf(Utf16("EncryptedPackage")) >= 0, // a password-protected OOXML document
            _ => false,
        };
        IReadOnlyList<string> active = type is FileTypes.Html or FileTypes.Svg ? ActiveContent(content) : [];
        return new AttachmentFacts(type, macro, encrypted, active);
    }

    /// <summary>
    /// VBA projects (a "_VBA_PROJECT" stream, Word's "Macros" storage) by their UTF-16 directory names, and
    /// Excel 4.0 macro sheets (a BOUNDSHEET record of sheet type 1) in a BIFF8 workbook.
    /// </summary>
    private static bool OleHasMacros(ReadOnlySpan<byte> content) =>
        content.IndexOf(Utf16("_VBA_PROJECT")) >= 0 || content.IndexOf(Utf16("Macros")) >= 0 || HasMacroSheet(content);

    private static bool HasMacroSheet(ReadOnlySpan<byte> content)
    {
        for (var i = content.IndexOf([(byte)0x85, (byte)0x00]); i >= 0 && i + 12 < content.Length; )
        {
            var size = content[i + 2] | (content[i + 3] << 8);
            var state = content[i + 8];
            var sheetType = content[i + 9];
            var length = content[i + 10];
            var wide = content[i + 11] & 1;
            if (size is >= 8 and <= 260 && state <= 2 && sheetType == 1 && length >= 1 && size == 8 + (length * (wide + 1)))
            {
                return true;
            }

            var next = content[(i + 1)..].IndexOf([(byte)0x85, (byte)0x00]);
            i = next < 0 ? -1 : i + 1 + next;
        }

        return false;
    }

    /// <summary>Any local file header with general purpose bit 0 (traditional or AES encryption).</summary>
    private static bool ZipIsEncrypted(ReadOnlySpan<byte> content)
    {
        for (var offset = 0; offset + 8 <= content.Length;)
        {
            var found = content[offset..].IndexOf("PK\u0003\u0004"u8);
            if (found < 0 || offset + found + 8 > content.Length)
            {
                return false;
            }

            if ((content[offset + found + 6] & 1) != 0)
            {
                return true;
            }

            offset += found + 4;
        }

        return false;
    }

    private static readonly (string Name, string[] Needles)[] ActiveMarkers =
    [
        ("form", ["<form"]),
        ("script", ["<script", "javascript:", "onload=", "onerror="]),
        ("meta refresh", ["http-equiv=\"refresh\"", "http-equiv='refresh'", "http-equiv=refresh"]),
        ("window.location", ["window.location", "document.location", "location.href", "location.replace("]),
    ];

    /// <summary>What in an HTML or SVG file acts when it is opened: forms, scripts, redirects.</summary>
    private static IReadOnlyList<string> ActiveContent(ReadOnlySpan<byte> content)
    {
        var text = Encoding.UTF8.GetString(content[..Math.Min(content.Length, 1024 * 1024)]).ToLowerInvariant();
        return [.. ActiveMarkers.Where(marker => marker.Needles.Any(needle => text.Contains(needle, StringComparison.Ordinal))).Select(marker => marker.Name)];
    }

    private static byte[] Utf16(string text) => Encoding.Unicode.GetBytes(text);

    /// <summary>
    /// Whether the true type contradicts the name or the declared content type: executable code or a script
    /// under any other name, or a file that is not what its extension promises (text, for which many
    /// extensions are honest, excepted).
    /// </summary>
    public static bool Contradicts(string type, string name, string declaredType)
    {
        var extension = Path.GetExtension(name).TrimStart('.').ToLowerInvariant();
        if ((FileTypes.IsExecutable(type) || type == FileTypes.Script) && FileTypes.Expected(extension) is { } promised && !promised.Contains(type))
        {
            return true;
        }

        if (FileTypes.IsExecutable(type) && !declaredType.Contains("octet-stream", StringComparison.OrdinalIgnoreCase) && !declaredType.Contains("x-msdownload", StringComparison.OrdinalIgnoreCase) && !declaredType.Contains("executable", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return type is not (FileTypes.Unknown or FileTypes.Text) && FileTypes.Expected(extension) is { } expected && !expected.Contains(type);
    }
}
