using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Core.SenderLists;

[JsonConverter(typeof(JsonStringEnumConverter<SenderListKind>))]
public enum SenderListKind
{
    Allow,
    Block,
}

/// <summary>
/// One entry: for whom (<see cref="For"/>: "*" for everyone, a domain of ours, or one recipient's address),
/// which sender (an address, or a domain, which takes in its subdomains), allowed or blocked.
/// </summary>
public sealed record SenderListEntry(string For, string Sender, SenderListKind Kind)
{
    public const string Everyone = "*";

    public bool AppliesTo(string recipient) =>
        For == Everyone || (For.Contains('@') ? string.Equals(For, recipient, StringComparison.OrdinalIgnoreCase) : string.Equals(For, DomainOf(recipient), StringComparison.OrdinalIgnoreCase));

    /// <summary>Whether an address is this entry's sender: the address itself, or one in its domain or a subdomain.</summary>
    public bool Names(string? address)
    {
        if (string.IsNullOrEmpty(address))
        {
            return false;
        }

        if (Sender.Contains('@'))
        {
            return string.Equals(Sender, address, StringComparison.OrdinalIgnoreCase);
        }

        var domain = DomainOf(address);
        return string.Equals(domain, Sender, StringComparison.OrdinalIgnoreCase) || domain.EndsWith("." + Sender, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A well-formed entry: "*", a domain or an address for whom; an address or a domain as the sender.</summary>
    public static SenderListEntry Create(string forWhom, string sender, SenderListKind kind)
    {
        forWhom = forWhom.Trim().TrimEnd('.').ToLowerInvariant();
        sender = sender.Trim().Trim('<', '>').TrimEnd('.').ToLowerInvariant();
        if (forWhom != Everyone && !IsAddressOrDomain(forWhom))
        {
            throw new ArgumentException($"'{forWhom}' is neither a recipient address, a domain nor * (everyone)");
        }

        return IsAddressOrDomain(sender) ? new SenderListEntry(forWhom, sender, kind) : throw new ArgumentException($"'{sender}' is neither a sender address nor a domain");
    }

    private static bool IsAddressOrDomain(string text)
    {
        var at = text.LastIndexOf('@');
        var domain = at >= 0 ? text[(at + 1)..] : text;
        return (at != 0) && domain.Contains('.') && Uri.CheckHostName(domain) == UriHostNameType.Dns && !text.Any(char.IsWhiteSpace);
    }

    private static string DomainOf(string address) => address[(address.LastIndexOf('@') + 1)..].TrimEnd('.');
}

/// <summary>
/// The lists as one file (JSON: an array of entries). Readers get a snapshot, read again when the file's time or
/// size changes; writers replace the file whole (a temporary file renamed over it), so no reader sees half.
/// </summary>
public sealed class SenderListFile(string path) : ISenderLists
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };
    private readonly Lock _gate = new();
    private (DateTime Written, long Size, IReadOnlyList<SenderListEntry> Entries) _cached = (DateTime.MinValue, -1, []);

    public string Path => path;

    public string Where => path;

    /// <summary>The entries as the file holds them now; none when there is no file. A damaged file keeps the last good snapshot.</summary>
    public IReadOnlyList<SenderListEntry> Entries
    {
        get
        {
            var file = new FileInfo(path);
            if (!file.Exists)
            {
                return [];
            }

            lock (_gate)
            {
                if (file.LastWriteTimeUtc == _cached.Written && file.Length == _cached.Size)
                {
                    return _cached.Entries;
                }

                try
                {
                    var entries = JsonSerializer.Deserialize<List<SenderListEntry>>(File.ReadAllText(path), Json) ?? [];
                    _cached = (file.LastWriteTimeUtc, file.Length, entries);
                }
                catch (Exception exception) when (exception is IOException or JsonException)
                {
                }

                return _cached.Entries;
            }
        }
    }

    public IReadOnlyList<SenderListEntry> For(string recipient) => [.. Entries.Where(entry => entry.AppliesTo(recipient))];

    public Task<bool> AddAsync(SenderListEntry entry, CancellationToken cancellationToken) => Task.FromResult(Add(entry));

    public Task<bool> RemoveAsync(string forWhom, string sender, CancellationToken cancellationToken) => Task.FromResult(Remove(forWhom, sender));

    /// <summary>Adds an entry (an entry for the same recipient and sender of the other kind is replaced); false when it was there.</summary>
    public bool Add(SenderListEntry entry) => Change(entries =>
    {
        if (entries.Contains(entry))
        {
            return false;
        }

        entries.RemoveAll(old => old.For == entry.For && old.Sender == entry.Sender);
        entries.Add(entry);
        return true;
    });

    public bool Remove(string forWhom, string sender) => Change(entries => entries.RemoveAll(old => old.For == forWhom && old.Sender == sender) > 0);

    private bool Change(Func<List<SenderListEntry>, bool> change)
    {
        lock (_gate)
        {
            var entries = Entries.ToList();
            if (!change(entries))
            {
                return false;
            }

            System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
            var temporary = $"{path}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temporary, JsonSerializer.Serialize(entries.OrderBy(entry => entry.For, StringComparer.Ordinal).ThenBy(entry => entry.Sender, StringComparer.Ordinal), Json));
            File.Move(temporary, path, overwrite: true);
            return true;
        }
    }
}
