namespace Gateway.Core.Delivery;

/// <summary>Files that must be on disk before we answer 250: written under a temporary name, fsynced, renamed.</summary>
public static class DurableFile
{
    /// <summary>
    /// Runs on the thread pool: fsync and rename block, and a caller in the SMTP path may be on a socket
    /// event thread that other connections' I/O waits for (socket completions run inline, see Program).
    /// </summary>
    public static Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken) =>
        Task.Run(() => Write(path, bytes.Span), cancellationToken);

    private static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        // The rename is atomic; making it durable would also need an fsync of the folder, which .NET
        // offers no portable call for. A crash right after the rename can lose the name, not a half file.
        File.Move(temporary, path);
    }
}
