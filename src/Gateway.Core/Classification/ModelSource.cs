using Gateway.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Classification;

/// <summary>
/// Holds the current spam model and reloads it when the file changes. A missing or unreadable model is a
/// warning, never a refusal of mail: the pipeline runs without the classifier until a good file appears,
/// and a bad replacement keeps the previous model.
/// </summary>
public sealed partial class ModelSource : IDisposable
{
    private readonly string _path;
    private readonly ILogger _logger;
    private readonly Debounce _debounce;
    private readonly Timer _folderPoll;
    private readonly Lock _watchLock = new();
    private FileSystemWatcher? _watcher;
    private volatile SpamModel? _current;

    /// <param name="folderPoll">While the model's folder does not exist, how often to look for it (a watcher needs the folder).</param>
    public ModelSource(string path, ILogger logger, TimeSpan? folderPoll = null)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
        _debounce = new Debounce(Reload, TimeSpan.FromMilliseconds(500));
        Reload();
        // A folder made after start (the model copied in later) is found by polling until it exists: a
        // watcher can only watch a folder that is there.
        var interval = folderPoll ?? TimeSpan.FromSeconds(10);
        _folderPoll = new Timer(_ => Watch(), null, Timeout.InfiniteTimeSpan, interval);
        if (!Watch())
        {
            _folderPoll.Change(interval, interval);
        }
    }

    /// <summary>Starts watching once the folder exists (and loads a model found there meanwhile); false while it does not.</summary>
    private bool Watch()
    {
        var folder = Path.GetDirectoryName(_path)!;
        lock (_watchLock)
        {
            if (_watcher is not null)
            {
                return true;
            }

            if (!Directory.Exists(folder))
            {
                return false;
            }

            try
            {
                _watcher = new FileSystemWatcher(folder, Path.GetFileName(_path)) { NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
                _watcher.Changed += (_, _) => ScheduleReload();
                _watcher.Created += (_, _) => ScheduleReload();
                _watcher.Renamed += (_, _) => ScheduleReload();
                _watcher.Deleted += (_, _) => Log.ModelDeleted(_logger, _path);
                _watcher.EnableRaisingEvents = true;
            }
            catch (IOException exception)
            {
                // E.g. the inotify instance limit: scoring goes on with the loaded model, without reloads.
                Log.WatchFailed(_logger, _path, exception.Message);
            }
        }

        _folderPoll?.Change(Timeout.Infinite, Timeout.Infinite);
        if (_current is null && File.Exists(_path))
        {
            ScheduleReload();
        }

        return true;
    }

    public SpamModel? Current => _current;

    /// <summary>Counts of reload outcomes, for metrics.</summary>
    public event Action<bool>? Reloaded;

    public void Dispose()
    {
        _folderPoll.Dispose();
        lock (_watchLock)
        {
            _watcher?.Dispose();
        }

        _debounce.Dispose();
    }

    /// <summary>Writers replace a model in several steps; wait for quiet before reading it.</summary>
    private void ScheduleReload() => _debounce.Signal();

    private void Reload()
    {
        if (!File.Exists(_path))
        {
            if (_current is null)
            {
                Log.ModelMissing(_logger, _path);
            }

            return;
        }

        try
        {
            _current = SpamModel.Load(_path);
            Log.ModelLoaded(_logger, _path);
            Reloaded?.Invoke(true);
        }
        catch (Exception exception)
        {
            // Any failure, expected or not: on the reload timer's thread an exception would end the process.
            Log.ModelUnreadable(_logger, _path, SpamModel.IsUnreadable(exception) ? exception.Message : $"{exception.GetType().Name}: {exception.Message}");
            Reloaded?.Invoke(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Spam model {Path} not found: running without the classifier")]
        public static partial void ModelMissing(ILogger logger, string path);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Spam model {Path} could not be loaded ({Reason}); keeping the previous model, if any")]
        public static partial void ModelUnreadable(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Spam model {Path} loaded")]
        public static partial void ModelLoaded(ILogger logger, string path);

        [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Cannot watch {Path} for changes ({Reason}): a new model needs a restart")]
        public static partial void WatchFailed(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Spam model {Path} was deleted; the loaded model stays in use")]
        public static partial void ModelDeleted(ILogger logger, string path);
    }
}
