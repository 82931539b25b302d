using Gateway.Core.Attachments;

namespace Gateway.Core.Tests.Attachments;

public sealed class FileTypesTests
{
    private static byte[] Padded(byte[] head, int length = 512) => [.. head, .. new byte[Math.Max(0, length - head.Length)]];

    public static TheoryData<string, byte[]> Magics() => new()
    {
        { FileTypes.Pdf, Padded([.. "%PDF-1.4"u8]) },
        { FileTypes.WindowsExecutable, Padded([.. "MZ"u8]) },
        { FileTypes.Elf, Padded([0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1]) },
        { FileTypes.MachO, Padded([0xCF, 0xFA, 0xED, 0xFE]) },
        { FileTypes.Ole2, Padded([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) },
        { FileTypes.Rar, Padded([.. "Rar!\u001A\u0007\u0001\u0000"u8]) },
        { FileTypes.SevenZip, Padded([(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C]) },
        { FileTypes.Gzip, Padded([0x1F, 0x8B, 0x08]) },
        { FileTypes.Shortcut, Padded([0x4C, 0x00, 0x00, 0x00, 0x01, 0x14, 0x02, 0x00]) },
        { FileTypes.Image, Padded([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A]) },
        { FileTypes.Html, [.. "\uFEFF  <!DOCTYPE html><html><body>hi</body></html>"u8] },
        { FileTypes.Svg, [.. "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"u8] },
        { FileTypes.Script, [.. "Set o = CreateObject(\"WScript.Shell\")\r\n"u8] },
        { FileTypes.Shell, [.. "#!/bin/sh\necho hi\n"u8] },
        { FileTypes.Text, [.. "Dear team, the figures are attached.\n"u8] },
    };

    [Theory]
    [MemberData(nameof(Magics))]
    public void Each_type_is_told_by_its_first_bytes(string expected, byte[] head) => Assert.Equal(expected, FileTypes.Detect(head));

    [Fact]
    public void An_iso_image_is_told_by_its_volume_descriptor_and_a_tar_by_ustar()
    {
        var iso = new byte[40 * 1024];
        "CD001"u8.CopyTo(iso.AsSpan(32769));
        var tar = new byte[1024];
        "ustar"u8.CopyTo(tar.AsSpan(257));

        Assert.Equal(FileTypes.DiskImage, FileTypes.Detect(iso));
        Assert.Equal(FileTypes.Tar, FileTypes.Detect(tar));
    }

    [Fact]
    public void Zip_containers_are_told_apart_by_their_entries()
    {
        var zip = Padded([.. "PK\u0003\u0004"u8]);

        Assert.Equal(FileTypes.OfficeOpenXml, FileTypes.Detect(zip, ["[Content_Types].xml", "word/document.xml"]));
        Assert.Equal(FileTypes.OpenDocument, FileTypes.Detect(zip, ["mimetype", "META-INF/manifest.xml", "content.xml"]));
        Assert.Equal(FileTypes.Zip, FileTypes.Detect(zip, ["invoice.exe"]));
    }

    [Theory]
    [InlineData("pe", "invoice.pdf", "application/pdf", true)]
    [InlineData("pe", "setup.exe", "application/octet-stream", false)]
    [InlineData("zip", "report.doc", "application/msword", true)]
    [InlineData("ole2", "report.doc", "application/msword", false)]
    [InlineData("text", "notes.pdf", "application/pdf", false)]
    [InlineData("script", "invoice.txt", "text/plain", true)]
    public void A_type_contradicts_a_name_or_declared_type(string type, string name, string declared, bool contradicts) =>
        Assert.Equal(contradicts, AttachmentFacts.Contradicts(type, name, declared));
}
