using MimeKit;

namespace Gateway.Core.Corpus;

/// <summary>
/// The messages named on the command line: .eml files, directories (recursively, in name order) and mbox
/// files. A file whose first line is an mbox "From " line is read as mbox, which also covers single
/// messages saved with an envelope line (as in the SpamAssassin corpus).
/// </summary>
public static class MessageFiles
{
    public sealed record Item(string Name, ReadOnlyMemory<byte> Raw)
    {
        /// <summary>A program or an image, not mail: a NUL in its first 4 KB (SMTP carries none; the gateway refuses one with 554 5.6.0).</summary>
        public bool IsBinary => Raw.Span[..Math.Min(Raw.Length, 4096)].Contains((byte)0);
    }

    public static IEnumerable<Item> Enumerate(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                .Where(file => !Path.GetFileName(file).StartsWith('.'))
                .Order(StringComparer.Ordinal);
            foreach (var file in files)
            {
                foreach (var item in ReadFile(file))
                {
                    yield return item;
                }
            }

            yield break;
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file or directory", path);
        }

        foreach (var item in ReadFile(path))
        {
            yield return item;
        }
    }

    private static IEnumerable<Item> ReadFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (!bytes.AsSpan().StartsWith("From "u8))
        {
            return [new Item(path, bytes)];
        }

        var items = SplitMbox(bytes);
        return items.Count == 1 ? [new Item(path, items[0])] : items.Select((raw, index) => new Item($"{path}#{index + 1}", raw));
    }

    /// <summary>MimeKit finds the message boundaries; we keep each message's own bytes, without the "From " line.</summary>
    private static List<ReadOnlyMemory<byte>> SplitMbox(byte[] bytes)
    {
        var messages = new List<ReadOnlyMemory<byte>>();
        var parser = new MimeParser(new MemoryStream(bytes, writable: false), MimeFormat.Mbox);
        parser.MimeMessageEnd += (_, args) =>
        {
            if (args.Parent is null)
            {
                messages.Add(bytes.AsMemory((int)args.BeginOffset, (int)(args.EndOffset - args.BeginOffset)));
            }
        };
        while (!parser.IsEndOfStream)
        {
            parser.ParseMessage();
        }

        return messages;
    }
}
