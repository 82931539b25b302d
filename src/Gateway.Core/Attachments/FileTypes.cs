using System.Text;

namespace Gateway.Core.Attachments;

/// <summary>
/// What a file is, from its first bytes (magic numbers), not from what its name or content type claim:
/// malware ships as invoice.pdf that is an executable. The names are the values of the
/// <c>attachment.type</c> rule field.
/// </summary>
public static class FileTypes
{
    public const string Pdf = "pdf";
    public const string WindowsExecutable = "pe";
    public const string Elf = "elf";
    public const string MachO = "macho";
    public const string Ole2 = "ole2";
    public const string OfficeOpenXml = "ooxml";
    public const string OpenDocument = "odf";
    public const string Zip = "zip";
    public const string Rar = "rar";
    public const string SevenZip = "7z";
    public const string Gzip = "gzip";
    public const string Tar = "tar";
    public const string DiskImage = "iso";
    public const string Shortcut = "lnk";
    public const string Html = "html";
    public const string Svg = "svg";
    /// <summary>Windows scripting (batch, WSH/VBScript/JScript objects, encoded PowerShell): what mail-borne droppers are.</summary>
    public const string Script = "script";

    /// <summary>A Unix script (#!): developers mail them to each other; a Windows desktop does not run them.</summary>
    public const string Shell = "shell";
    public const string Image = "image";
    public const string Text = "text";
    public const string Unknown = "unknown";

    /// <summary>How many leading bytes <see cref="Detect"/> looks at (ISO 9660's signature sits at 32769).</summary>
    public const int HeadLength = 36 * 1024;

    /// <param name="zipEntries">For zip containers: entry names, to tell OOXML and ODF from a plain zip.</param>
    public static string Detect(ReadOnlySpan<byte> head, IReadOnlyCollection<string>? zipEntries = null)
    {
        if (head.StartsWith("%PDF-"u8))
        {
            return Pdf;
        }

        if (head.Length >= 64 && head.StartsWith("MZ"u8))
        {
            return WindowsExecutable;
        }

        if (Starts(head, 0x7F, (byte)'E', (byte)'L', (byte)'F'))
        {
            return Elf;
        }

        if (Starts(head, 0xCF, 0xFA, 0xED, 0xFE) || Starts(head, 0xCE, 0xFA, 0xED, 0xFE) || Starts(head, 0xFE, 0xED, 0xFA, 0xCF) || Starts(head, 0xCA, 0xFE, 0xBA, 0xBE))
        {
            return MachO;
        }

        if (Starts(head, 0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1))
        {
            return Ole2;
        }

        if (head.StartsWith("PK\u0003\u0004"u8) || head.StartsWith("PK\u0005\u0006"u8))
        {
            return zipEntries switch
            {
                not null when zipEntries.Contains("[Content_Types].xml") => OfficeOpenXml,
                not null when zipEntries.Contains("mimetype") && zipEntries.Contains("META-INF/manifest.xml") => OpenDocument,
                _ => Zip,
            };
        }

        if (head.StartsWith("Rar!\u001A\u0007"u8))
        {
            return Rar;
        }

        if (Starts(head, (byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C))
        {
            return SevenZip;
        }

        if (Starts(head, 0x1F, 0x8B))
        {
            return Gzip;
        }

        if (head.Length > 262 && head[257..262].SequenceEqual("ustar"u8))
        {
            return Tar;
        }

        if (head.Length > 32774 && head[32769..32774].SequenceEqual("CD001"u8))
        {
            return DiskImage;
        }

        if (Starts(head, 0x4C, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00))
        {
            return Shortcut;
        }

        if (Starts(head, 0x89, (byte)'P', (byte)'N', (byte)'G') || Starts(head, 0xFF, 0xD8, 0xFF) || head.StartsWith("GIF8"u8) || (head.StartsWith("RIFF"u8) && head.Length >= 12 && head[8..12].SequenceEqual("WEBP"u8)))
        {
            return Image;
        }

        return TextKind(head);
    }

    private static bool Starts(ReadOnlySpan<byte> head, params ReadOnlySpan<byte> magic) => head.StartsWith(magic);

    /// <summary>Markup and scripts by their opening, after a BOM and white space; other readable text is text.</summary>
    private static string TextKind(ReadOnlySpan<byte> head)
    {
        var sample = head[..Math.Min(head.Length, 2048)];
        if (sample.IndexOf((byte)0) >= 0 && !(sample.Length >= 2 && (sample[0] == 0xFF || sample[0] == 0xFE)))
        {
            return Unknown;
        }

        var text = Encoding.UTF8.GetString(sample).TrimStart('\uFEFF', ' ', '\t', '\r', '\n').ToLowerInvariant();
        if (text.StartsWith("@echo off", StringComparison.Ordinal) || text.Contains("wscript.", StringComparison.Ordinal) || text.Contains("createobject(", StringComparison.Ordinal) || (text.Contains("powershell", StringComparison.Ordinal) && text.Contains("-enc", StringComparison.Ordinal)))
        {
            return Script;
        }

        if (text.StartsWith("#!", StringComparison.Ordinal))
        {
            return Shell;
        }

        if (text.Contains("<svg", StringComparison.Ordinal))
        {
            return Svg;
        }

        if (text.StartsWith("<!doctype html", StringComparison.Ordinal) || text.StartsWith("<html", StringComparison.Ordinal) || text.Contains("<html", StringComparison.Ordinal) || text.Contains("<script", StringComparison.Ordinal) || text.Contains("<form", StringComparison.Ordinal))
        {
            return Html;
        }

        var printable = 0;
        foreach (var c in text)
        {
            printable += char.IsControl(c) && c is not ('\r' or '\n' or '\t') ? 0 : 1;
        }

        return text.Length > 0 && printable >= text.Length * 0.95 ? Text : Unknown;
    }

    /// <summary>
    /// The types a name's extension promises (null: the extension promises nothing we check). A file whose
    /// detected type is not among them contradicts its name.
    /// </summary>
    public static IReadOnlySet<string>? Expected(string extension) => extension.ToLowerInvariant() switch
    {
        "pdf" => Set(Pdf),
        "doc" or "xls" or "ppt" or "msg" => Set(Ole2),
        "docx" or "xlsx" or "pptx" or "docm" or "xlsm" or "pptm" => Set(OfficeOpenXml),
        "odt" or "ods" or "odp" => Set(OpenDocument),
        "zip" => Set(Zip, OfficeOpenXml, OpenDocument),
        "rar" => Set(Rar),
        "7z" => Set(SevenZip),
        "gz" or "tgz" => Set(Gzip),
        "tar" => Set(Tar),
        "jpg" or "jpeg" or "png" or "gif" or "webp" => Set(Image),
        "txt" or "csv" => Set(Text, Shell),
        "htm" or "html" => Set(Html, Text),
        "svg" => Set(Svg),
        "exe" or "dll" or "scr" => Set(WindowsExecutable),
        _ => null,
    };

    private static HashSet<string> Set(params string[] types) => new(types, StringComparer.Ordinal);

    /// <summary>Containers whose files <see cref="ArchiveContents"/> lists.</summary>
    public static bool IsArchive(string type) => type is Zip or Rar or SevenZip or Gzip or Tar;

    /// <summary>Executable code, whatever the name says.</summary>
    public static bool IsExecutable(string type) => type is WindowsExecutable or Elf or MachO or Shortcut;
}
