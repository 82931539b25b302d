using System.Text.Json;

namespace Gateway.Core.Fitting;

/// <summary>
/// The mass-check log: a header line with the fingerprint of what was scanned (sources, files, rules, model,
/// config), then one JSON object per message. A later fit over the same inputs reads it instead of scanning
/// again; anything changed changes the fingerprint, and the mail is scanned again.
/// </summary>
public static class MassCheckLog
{
    private const int Version = 1;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record Header(int MassCheckLog, string Fingerprint, int Messages);

    public static void Write(string path, string fingerprint, IReadOnlyList<MassCheckEntry> entries)
    {
        var temporary = path + ".tmp";
        using (var writer = new StreamWriter(temporary, append: false, new System.Text.UTF8Encoding(false)))
        {
            writer.WriteLine(JsonSerializer.Serialize(new Header(Version, fingerprint, entries.Count), Json));
            foreach (var entry in entries)
            {
                writer.WriteLine(JsonSerializer.Serialize(entry, Json));
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The entries, when the file is a complete log of this version with this fingerprint; else null.</summary>
    public static IReadOnlyList<MassCheckEntry>? ReadIfCurrent(string path, string fingerprint)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var reader = new StreamReader(path);
            var header = JsonSerializer.Deserialize<Header>(reader.ReadLine() ?? string.Empty, Json);
            if (header is null || header.MassCheckLog != Version || header.Fingerprint != fingerprint)
            {
                return null;
            }

            var entries = new List<MassCheckEntry>(header.Messages);
            while (reader.ReadLine() is { Length: > 0 } line)
            {
                entries.Add(JsonSerializer.Deserialize<MassCheckEntry>(line, Json) ?? throw new JsonException("empty entry"));
            }

            // A log cut short (a fit stopped while writing) is scanned again, not trusted.
            return entries.Count == header.Messages ? entries : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
