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

    /// <summary>
    /// Mail is private: owner read/write, group read (0640; the group is the gateway's, e.g. for a backup
    /// or review tool), nothing for others, whatever the umask.
    /// </summary>
    private static readonly FileStreamOptions Options = OperatingSystem.IsWindows()
        ? new() { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None }
        : new() { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead };

    private static void Write(string path, ReadOnlySpan<byte> bytes)
    {
        var temporary = path + ".tmp";
        using (var file = new FileStream(temporary, Options))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }

        // The rename is atomic; making it durable would also need an fsync of the folder, which .NET
        // offers no portable call for. A crash right after the rename can lose the name, not a half file.
        File.Move(temporary, path);
    }
}
