namespace Gateway.Core.Delivery;

/// <summary>Files that must be on disk before we answer 250: written under a temporary name, fsynced, renamed.</summary>
public static class DurableFile
{
    public static async Task WriteAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var temporary = path + ".tmp";
        await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
        {
            await file.WriteAsync(bytes, cancellationToken);
            file.Flush(flushToDisk: true);
        }

        // The rename is atomic; making it durable would also need an fsync of the folder, which .NET
        // offers no portable call for. A crash right after the rename can lose the name, not a half file.
        File.Move(temporary, path);
    }
}
