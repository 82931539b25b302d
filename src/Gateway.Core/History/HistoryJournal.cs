using System.Text.Json;

namespace Gateway.Core.History;

/// <summary>
/// This instance's history: JSON lines appended to NAME.jsonl in the history folder; at half the configured
/// size the file becomes NAME.1.jsonl (replacing the one before), so the journal stays bounded and a reader
/// always finds at least the last half. Never fails a message: a write that fails (disk full, permissions)
/// is counted and the entry dropped; the mail goes on.
/// </summary>
public sealed class HistoryJournal : IHistory, IDisposable
{
    /// <summary>How entries are written (snake_case, nulls left out), for readers of the journal.</summary>
    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly Lock _gate = new();
    private readonly string _folder;
    private readonly string _current;
    private readonly string _previous;
    private readonly int _perFile;
    private StreamWriter? _writer;
    private int _lines;
    private long _failures;

    /// <param name="instance">This instance's file name (host and port): instances sharing the folder keep apart.</param>
    public HistoryJournal(string folder, int size, string instance)
    {
        Directory.CreateDirectory(folder);
        _folder = folder;
        _current = Path.Combine(folder, $"{instance}.jsonl");
        _previous = Path.Combine(folder, $"{instance}.1.jsonl");
        _perFile = Math.Max(1, size / 2);
        _lines = File.Exists(_current) ? File.ReadLines(_current).Count() : 0;
    }

    /// <summary>Entries that could not be written since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public void Add(HistoryEntry entry)
    {
        var line = JsonSerializer.Serialize(entry, Json);
        lock (_gate)
        {
            try
            {
                if (_lines >= _perFile)
                {
                    _writer?.Dispose();
                    _writer = null;
                    File.Move(_current, _previous, overwrite: true);
                    _lines = 0;
                }

                // Shared for reading and renaming: `gateway history` reads while we write.
                _writer ??= new StreamWriter(new FileStream(_current, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };
                _writer.WriteLine(line);
                _lines++;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                Interlocked.Increment(ref _failures);
                _writer?.Dispose();
                _writer = null;
            }
        }
    }

    /// <summary>Every instance's journal in the folder (instances on a shared volume), not only this one's.</summary>
    public Task<IReadOnlyList<HistoryEntry>> FindAsync(HistoryQuery query, CancellationToken cancellationToken) => Task.FromResult(HistorySearch.Find(_folder, query));

    public void Dispose()
    {
        lock (_gate)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }
}
