using System.Security.Cryptography;
using MimeKit;

namespace Gateway.Core.Learning;

public enum LearnResult
{
    Added,

    /// <summary>Already there with the same label.</summary>
    Duplicate,

    /// <summary>Already there with the other label: the user changed their mind (moved it out of Junk, or into it).</summary>
    Relabelled,

    /// <summary>The sender has the maximum number of messages of this label already: one mailbox cannot flood the model.</summary>
    Capped,
}

/// <summary>
/// Messages users labelled (moved into or out of Junk), kept for <c>gateway train --learned DIR</c>:
/// DIR/ham and DIR/spam hold one file per message, named by a hash of its bytes, so collecting twice adds
/// nothing twice. At most <see cref="MaxPerSender"/> messages per From address and label, so that one
/// sender (or one user's mislabelling of one sender) cannot poison the model.
/// </summary>
public sealed class TrainingStore
{
    private readonly Dictionary<(string Sender, bool IsSpam), int> _perSender = [];

    public TrainingStore(string folder, int maxPerSender)
    {
        Folder = folder;
        MaxPerSender = maxPerSender;
        Directory.CreateDirectory(Path.Combine(folder, "ham"));
        Directory.CreateDirectory(Path.Combine(folder, "spam"));
        foreach (var isSpam in new[] { false, true })
        {
            foreach (var file in Directory.EnumerateFiles(ClassFolder(isSpam), "*.eml"))
            {
                Count(SenderOf(File.ReadAllBytes(file)), isSpam, 1);
            }
        }
    }

    public string Folder { get; }

    public int MaxPerSender { get; }

    public int CountOf(bool isSpam) => Directory.EnumerateFiles(ClassFolder(isSpam), "*.eml").Count();

    public LearnResult Add(byte[] raw, bool isSpam)
    {
        var name = Convert.ToHexStringLower(SHA256.HashData(raw).AsSpan(0, 16)) + ".eml";
        var here = Path.Combine(ClassFolder(isSpam), name);
        var there = Path.Combine(ClassFolder(!isSpam), name);
        var sender = SenderOf(raw);
        if (File.Exists(here))
        {
            return LearnResult.Duplicate;
        }

        if (File.Exists(there))
        {
            File.Move(there, here);
            Count(sender, !isSpam, -1);
            Count(sender, isSpam, 1);
            return LearnResult.Relabelled;
        }

        if (_perSender.GetValueOrDefault((sender, isSpam)) >= MaxPerSender)
        {
            return LearnResult.Capped;
        }

        File.WriteAllBytes(here, raw);
        Count(sender, isSpam, 1);
        return LearnResult.Added;
    }

    private string ClassFolder(bool isSpam) => Path.Combine(Folder, isSpam ? "spam" : "ham");

    private void Count(string sender, bool isSpam, int delta) =>
        _perSender[(sender, isSpam)] = _perSender.GetValueOrDefault((sender, isSpam)) + delta;

    /// <summary>The From address, lower case; "" when there is none (all such messages share one cap).</summary>
    private static string SenderOf(byte[] raw)
    {
        try
        {
            var headers = HeaderList.Load(new MemoryStream(raw, writable: false));
            return InternetAddressList.TryParse(headers[HeaderId.From] ?? string.Empty, out var from)
                ? from.Mailboxes.FirstOrDefault()?.Address.ToLowerInvariant() ?? string.Empty
                : string.Empty;
        }
        catch (FormatException)
        {
            return string.Empty;
        }
    }
}
