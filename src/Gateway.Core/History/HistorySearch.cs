using System.Text.Json;

namespace Gateway.Core.History;

/// <summary>What to look for: every given part must match (addresses and Message-ID ignore case; an address matches by its text, so a domain finds its whole domain).</summary>
public sealed record HistoryQuery(string? From = null, string? To = null, string? MessageId = null, DateTimeOffset? Since = null, DateTimeOffset? Until = null, int Limit = 50);

/// <summary>Reads every instance's journal in the history folder, newest first.</summary>
public static class HistorySearch
{
    public static IReadOnlyList<HistoryEntry> Find(string folder, HistoryQuery query)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        return [.. Matching(Directory.EnumerateFiles(folder, "*.jsonl").SelectMany(Read), query)];
    }

    /// <summary>The entries the query asks for, newest first, at most its limit (the folder's and Redis's search alike).</summary>
    public static IEnumerable<HistoryEntry> Matching(IEnumerable<HistoryEntry> entries, HistoryQuery query)
    {
        var messageId = query.MessageId?.Trim().Trim('<', '>');
        return entries
            .Where(entry => Contains(entry.From, query.From)
                && (query.To is null || entry.Recipients.Any(recipient => Contains(recipient, query.To)))
                && (messageId is null || string.Equals(entry.MessageId?.Trim('<', '>'), messageId, StringComparison.OrdinalIgnoreCase))
                && (query.Since is null || entry.Time >= query.Since)
                && (query.Until is null || entry.Time <= query.Until))
            .OrderByDescending(entry => entry.Time)
            .Take(query.Limit);
    }

    /// <summary>One recorded line as an entry; null for a damaged or half-written line.</summary>
    public static HistoryEntry? Parse(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<HistoryEntry>(line, HistoryJournal.Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool Contains(string value, string? wanted) =>
        wanted is null || value.Contains(wanted, StringComparison.OrdinalIgnoreCase);

    /// <summary>A journal's lines; one being written (a half line at the end) or damaged is skipped, not fatal.</summary>
    private static IEnumerable<HistoryEntry> Read(string path)
    {
        List<string> lines;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            lines = [.. ReadLines(reader)];
        }
        catch (FileNotFoundException)
        {
            yield break; // renamed to .1 between listing and opening: its lines are read under the new name
        }

        foreach (var line in lines)
        {
            if (Parse(line) is { } entry)
            {
                yield return entry;
            }
        }
    }

    private static IEnumerable<string> ReadLines(StreamReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }
}
