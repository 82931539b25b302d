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
    private readonly FileSystemWatcher? _watcher;
    private readonly Timer _debounce;
    private volatile SpamModel? _current;

    public ModelSource(string path, ILogger logger)
    {
        _path = Path.GetFullPath(path);
        _logger = logger;
        _debounce = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        Reload();
        var folder = Path.GetDirectoryName(_path)!;
        if (Directory.Exists(folder))
        {
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
    }

    public SpamModel? Current => _current;

    /// <summary>Counts of reload outcomes, for metrics.</summary>
    public event Action<bool>? Reloaded;

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce.Dispose();
    }

    /// <summary>Writers replace a model in several steps; wait for quiet before reading it.</summary>
    private void ScheduleReload() => _debounce.Change(TimeSpan.FromMilliseconds(500), Timeout.InfiniteTimeSpan);

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
