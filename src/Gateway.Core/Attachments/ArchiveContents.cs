using System.Security.Cryptography;
using SharpCompress.Archives;
using SharpCompress.Readers;

namespace Gateway.Core.Attachments;

/// <summary>One file inside an archive (nested archives' files named outer.zip/inner.rar/file.exe).</summary>
public sealed record ArchiveEntry(string Path, long Size, AttachmentFacts Facts);

/// <summary>
/// The files inside zip, rar, 7z, tar and gzip attachments, read with SharpCompress in memory (nothing is
/// extracted to disk), recursively into archives inside archives. Every step is bounded so that a bomb
/// (a tiny archive that inflates to gigabytes, archives nested a hundred deep, a hundred thousand
/// entries) costs bounded time and memory: at most <see cref="MaxDepth"/> levels, <see cref="MaxEntries"/>
/// entries and <see cref="MaxInflatedBytes"/> inflated bytes per attachment, whatever the headers claim;
/// beyond that the rest is not looked at. Only an entry's first bytes are read, unless it is an archive
/// itself (then up to <see cref="MaxNestedBytes"/>).
/// </summary>
public static class ArchiveContents
{
    public const int MaxDepth = 3;
    public const int MaxEntries = 200;
    public const long MaxNestedBytes = 10L * 1024 * 1024;
    public const long MaxInflatedBytes = 40L * 1024 * 1024;

    private sealed class Budget
    {
        public int Entries;
        public long Bytes;

        /// <summary>A limit stopped the walk somewhere: part of the archive was not looked at.</summary>
        public bool Exhausted;
    }

    /// <summary>The files inside; <paramref name="encrypted"/> says whether any of it (or the archive's own headers) is password-protected.</summary>
    public static IReadOnlyList<ArchiveEntry> List(ReadOnlyMemory<byte> archive, out bool encrypted) => List(archive, out encrypted, out _);

    /// <param name="unlooked">Whether a limit (depth, entries, inflated bytes) left part of it unread: what hides there was not seen.</param>
    public static IReadOnlyList<ArchiveEntry> List(ReadOnlyMemory<byte> archive, out bool encrypted, out bool unlooked)
    {
        var entries = new List<ArchiveEntry>();
        var budget = new Budget();
        encrypted = Walk(archive, string.Empty, 1, budget, entries);
        unlooked = budget.Exhausted;
        return entries;
    }

    private static bool Walk(ReadOnlyMemory<byte> archive, string prefix, int depth, Budget budget, List<ArchiveEntry> into)
    {
        if (FileTypes.Detect(archive.Span[..Math.Min(archive.Length, FileTypes.HeadLength)]) == FileTypes.Gzip)
        {
            return WalkGzip(archive, prefix, depth, budget, into);
        }

        var encrypted = false;
        try
        {
            using var stream = Pipeline.MessageBytes.ReadOnlyStream(archive);
            using var opened = ArchiveFactory.OpenArchive(stream, new ReaderOptions { LeaveStreamOpen = true });
            foreach (var entry in opened.Entries)
            {
                if (entry.IsDirectory)
                {
                    continue;
                }

                if (++budget.Entries > MaxEntries)
                {
                    budget.Exhausted = true;
                    break;
                }

                var path = prefix + (entry.Key ?? string.Empty);
                if (entry.IsEncrypted)
                {
                    encrypted = true;
                    into.Add(new ArchiveEntry(path, entry.Size, AttachmentFacts.None with { Encrypted = true }));
                    continue;
                }

                var content = Read(entry, budget, FileTypes.HeadLength);
                var facts = AttachmentFacts.Of(content, null);
                budget.Exhausted |= FileTypes.IsArchive(facts.Type) && depth >= MaxDepth;
                if (FileTypes.IsArchive(facts.Type) && depth < MaxDepth)
                {
                    content = Read(entry, budget, MaxNestedBytes);
                    into.Add(new ArchiveEntry(path, entry.Size, facts));
                    encrypted |= Walk(content, path + "/", depth + 1, budget, into);
                    continue;
                }

                into.Add(new ArchiveEntry(path, entry.Size, facts));
            }
        }
        catch (Exception exception) when (exception is CryptographicException || exception.Message.Contains("password", StringComparison.OrdinalIgnoreCase))
        {
            encrypted = true; // encrypted headers (rar -hp, 7z -mhe): not even the names can be read
        }
        catch (Exception exception) when (exception is not OperationCanceledException and not OutOfMemoryException)
        {
            // Hostile or broken archives throw every kind of exception from a parser: what was listed stands.
        }

        return encrypted;
    }

    /// <summary>gzip holds one stream (SharpCompress does not open what .NET's GZipStream writes): its content is the one entry, and a tar inside is walked on.</summary>
    private static bool WalkGzip(ReadOnlyMemory<byte> archive, string prefix, int depth, Budget budget, List<ArchiveEntry> into)
    {
        if (++budget.Entries > MaxEntries)
        {
            budget.Exhausted = true;
            return false;
        }

        byte[] content;
        try
        {
            using var gzip = new System.IO.Compression.GZipStream(Pipeline.MessageBytes.ReadOnlyStream(archive), System.IO.Compression.CompressionMode.Decompress);
            content = ReadAtMost(gzip, budget, MaxNestedBytes, declared: 0);
        }
        catch (InvalidDataException)
        {
            return false;
        }

        var facts = AttachmentFacts.Of(content, null);
        into.Add(new ArchiveEntry(prefix + "(gzip content)", content.Length, facts));
        return FileTypes.IsArchive(facts.Type) && depth < MaxDepth && Walk(content, prefix + "(gzip content)/", depth + 1, budget, into);
    }

    /// <summary>Up to <paramref name="limit"/> bytes of an entry, within what the attachment's budget has left.</summary>
    private static byte[] Read(IArchiveEntry entry, Budget budget, long limit)
    {
        using var stream = entry.OpenEntryStream();
        return ReadAtMost(stream, budget, limit, entry.Size);
    }

    /// <summary>
    /// Up to <paramref name="limit"/> bytes of a stream within the budget; the declared size (which may lie
    /// either way) only shrinks the limit. The buffer grows with what the stream gives, from
    /// <see cref="FirstReadBytes"/>: sized to the limit up front, every gzip attachment (a DMARC report of
    /// 2 KB) cost a 10 MB array, zeroed, in the large object heap, where it waited for a full collection.
    /// </summary>
    private static byte[] ReadAtMost(Stream stream, Budget budget, long limit, long declared)
    {
        var allowed = (int)Math.Max(0, Math.Min(limit, MaxInflatedBytes - budget.Bytes));
        if (allowed == 0)
        {
            budget.Exhausted = true;
            return [];
        }

        var cap = declared > 0 ? (int)Math.Min(declared, allowed) : allowed;
        var buffer = new byte[Math.Min(cap, FirstReadBytes)];
        var read = 0;
        while (true)
        {
            read += stream.ReadAtLeast(buffer.AsSpan(read), buffer.Length - read, throwOnEndOfStream: false);
            if (read < buffer.Length || buffer.Length == cap)
            {
                break;
            }

            Array.Resize(ref buffer, (int)Math.Min(2L * buffer.Length, cap));
        }

        budget.Bytes += read;
        return read == buffer.Length ? buffer : buffer[..read];
    }

    /// <summary>Under the large object heap's threshold (85,000 bytes): small content dies young.</summary>
    private const int FirstReadBytes = 64 * 1024;
}
