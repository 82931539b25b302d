using System.IO.Compression;

namespace Gateway.Tests.Shared;

/// <summary>Zip archives made in the test (nested, bombs, programs inside), never downloaded.</summary>
internal static class TestArchives
{
    public static byte[] Zip(params (string Name, byte[] Content)[] entries) => Zip(CompressionLevel.Fastest, entries);

    public static byte[] Zip(CompressionLevel level, params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = zip.CreateEntry(name, level).Open();
                stream.Write(content);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Enough of a Windows program (the "MZ" header) for type detection.</summary>
    public static byte[] Program { get; } = [.. "MZ"u8, .. new byte[200]];
}
