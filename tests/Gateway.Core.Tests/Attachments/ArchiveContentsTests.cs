using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Gateway.Core.Attachments;

namespace Gateway.Core.Tests.Attachments;

/// <summary>Archives as attackers send them, made here: nested, compressed, encrypted, and bombs.</summary>
public sealed class ArchiveContentsTests
{
    private static byte[] Program => TestArchives.Program;

    private static byte[] Zip(params (string Name, byte[] Content)[] entries) => TestArchives.Zip(entries);

    private static byte[] TarGz(string name, byte[] content) => TarGz((name, content));

    private static byte[] TarGz(params (string Name, byte[] Content)[] entries)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Ustar, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });
            }
        }

        return buffer.ToArray();
    }

    [Fact]
    public void A_small_gzip_costs_a_small_buffer_not_the_nesting_limit()
    {
        // A DMARC report is a 2 KB gzip; its content was read into an array of MaxNestedBytes (10 MB) up front.
        var archive = TarGz("report.xml", "<feedback/>"u8.ToArray());
        ArchiveContents.List(archive, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread();

        ArchiveContents.List(archive, out _);

        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocated, 0, 1024 * 1024);
    }

    [Fact]
    public void A_gzip_bigger_than_the_first_read_is_read_to_its_end()
    {
        // 600 KB of text before the program: the content buffer has to grow several times to reach it.
        var filler = new byte[600 * 1024];
        Random.Shared.NextBytes(filler);
        var archive = TarGz(("notes/filler.bin", filler), ("docs/invoice.pdf", Program));

        var entries = ArchiveContents.List(archive, out _, out var unlooked);

        Assert.False(unlooked);
        Assert.Contains(entries, entry => entry.Path.EndsWith("docs/invoice.pdf", StringComparison.Ordinal) && entry.Facts.Type == FileTypes.WindowsExecutable);
    }

    [Fact]
    public void A_program_in_a_tar_in_a_gzip_is_found_under_its_path()
    {
        var archive = TarGz("docs/invoice.pdf", Program);

        var entries = ArchiveContents.List(archive, out var encrypted, out var unlooked);

        Assert.False(encrypted);
        Assert.False(unlooked);
        Assert.Equal(FileTypes.Gzip, FileTypes.Detect(archive));
        Assert.Contains(entries, entry => entry.Path.EndsWith("docs/invoice.pdf", StringComparison.Ordinal) && entry.Facts.Type == FileTypes.WindowsExecutable);
    }

    [Fact]
    public void Archives_nested_deeper_than_the_limit_are_listed_to_the_limit_only()
    {
        var archive = Zip(("payload.exe", Program));
        for (var level = 0; level < 10; level++)
        {
            archive = Zip(($"level{level}.zip", archive));
        }

        var entries = ArchiveContents.List(archive, out _, out var unlooked);

        Assert.True(unlooked);
        Assert.Equal(ArchiveContents.MaxDepth, entries.Count);
        Assert.DoesNotContain(entries, entry => entry.Path.EndsWith("payload.exe", StringComparison.Ordinal));
    }

    [Fact]
    public void A_zip_of_ten_thousand_entries_costs_two_hundred()
    {
        var archive = Zip([.. Enumerable.Range(0, 10_000).Select(i => ($"f{i}.txt", "x"u8.ToArray()))]);

        var entries = ArchiveContents.List(archive, out _);

        Assert.Equal(ArchiveContents.MaxEntries, entries.Count);
    }

    [Fact]
    public void A_compression_bomb_inflates_no_further_than_the_budget()
    {
        // 16 entries of 64 MB of zeros each (1 GB inflated, about 1 MB deflated), every one a nested "zip" by its first bytes.
        var zeros = new byte[64 * 1024 * 1024];
        "PK\u0003\u0004"u8.CopyTo(zeros);
        var archive = Zip([.. Enumerable.Range(0, 16).Select(i => ($"bomb{i}.zip", zeros))]);
        var allocated = GC.GetAllocatedBytesForCurrentThread();

        var entries = ArchiveContents.List(archive, out _);

        Assert.Equal(16, entries.Count);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - allocated, 0, 3 * ArchiveContents.MaxInflatedBytes);
    }

    [Fact]
    public void Garbage_that_starts_like_an_archive_is_not_an_error()
    {
        byte[] garbage = [.. "Rar!\u001A\u0007\u0001\u0000"u8, .. new byte[100]];
        var entries = ArchiveContents.List(garbage, out var encrypted);

        Assert.Empty(entries);
        Assert.False(encrypted);
    }

    [Fact]
    public void A_7z_with_encrypted_file_names_is_encrypted_and_one_with_readable_names_shows_its_program()
    {
        var folder = Directory.CreateTempSubdirectory("7z-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "invoice.exe"), Program);
        SevenZip(folder, "hidden.7z", "-pinfected", "-mhe=on");
        SevenZip(folder, "plain.7z");

        var hidden = ArchiveContents.List(File.ReadAllBytes(Path.Combine(folder, "hidden.7z")), out var hiddenEncrypted);
        var plain = ArchiveContents.List(File.ReadAllBytes(Path.Combine(folder, "plain.7z")), out var plainEncrypted);

        Assert.True(hiddenEncrypted);
        Assert.Empty(hidden);
        Assert.False(plainEncrypted);
        Assert.Contains(plain, entry => entry.Path == "invoice.exe" && entry.Facts.Type == FileTypes.WindowsExecutable);
    }

    [Fact]
    public void A_rar_shows_its_program_and_a_rar_with_an_encrypted_file_is_encrypted()
    {
        var plain = ArchiveContents.List(Rar4("invoice.pdf.exe", Program, encrypted: false), out var plainEncrypted);
        _ = ArchiveContents.List(Rar4("invoice.exe", Program, encrypted: true), out var encrypted);

        Assert.False(plainEncrypted);
        Assert.Contains(plain, entry => entry.Path == "invoice.pdf.exe" && entry.Facts.Type == FileTypes.WindowsExecutable);
        Assert.True(encrypted);
    }

    /// <summary>
    /// A RAR 2.9 ("RAR4") archive with one stored file, written here block by block (no RAR writer is free
    /// to install): marker, archive header, file header (method 0x30, store; flag 0x04 marks it encrypted),
    /// the data, the end block. Each header's CRC is the low 16 bits of the CRC-32 of the header after it.
    /// </summary>
    private static byte[] Rar4(string name, byte[] content, bool encrypted)
    {
        static byte[] Block(byte type, ushort flags, byte[] body)
        {
            var header = new List<byte> { type };
            header.AddRange(BitConverter.GetBytes(flags));
            header.AddRange(BitConverter.GetBytes((ushort)(7 + body.Length)));
            header.AddRange(body);
            var crc = (ushort)(System.IO.Hashing.Crc32.HashToUInt32(header.ToArray()) & 0xFFFF);
            return [.. BitConverter.GetBytes(crc), .. header];
        }

        var nameBytes = Encoding.ASCII.GetBytes(name);
        var file = new List<byte>();
        file.AddRange(BitConverter.GetBytes((uint)content.Length)); // packed size
        file.AddRange(BitConverter.GetBytes((uint)content.Length)); // unpacked size
        file.Add(2); // host OS: Windows
        file.AddRange(BitConverter.GetBytes(System.IO.Hashing.Crc32.HashToUInt32(content)));
        file.AddRange(BitConverter.GetBytes(0x5A_21_00_00u)); // DOS time
        file.Add(29); // version needed: 2.9
        file.Add(0x30); // method: store
        file.AddRange(BitConverter.GetBytes((ushort)nameBytes.Length));
        file.AddRange(BitConverter.GetBytes(0x20u)); // attributes: archive
        file.AddRange(nameBytes);
        return
        [
            .. "Rar!\u001A\u0007\u0000"u8,
            .. Block(0x73, 0, new byte[6]),
            .. Block(0x74, (ushort)(0x8000 | (encrypted ? 0x04 : 0)), [.. file]),
            .. content,
            .. Block(0x7B, 0x4000, []),
        ];
    }

    /// <summary>Debian's 7zip, 7zz (tests/run installs it): the archives a sender's 7-Zip makes.</summary>
    private static void SevenZip(string folder, string archive, params string[] options)
    {
        using var process = Process.Start(new ProcessStartInfo("7zz", ["a", "-bso0", "-bsp0", .. options, archive, "invoice.exe"]) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true })!;
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
    }
}
