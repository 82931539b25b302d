using Gateway.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Scoring;

/// <summary>
/// The live policy (rules/ folder: thresholds, weights, rules) with hot reload, YARP-style: a change
/// builds and validates a whole new snapshot, then swaps one reference; a bad change is logged with
/// file:line:col and the running snapshot stays. Messages in flight keep the snapshot they started with.
/// The first load is strict: a bad rules folder stops start-up.
/// </summary>
public sealed partial class PolicySource : IDisposable
{
    private readonly string _folder;
    private readonly ILogger _logger;
    private readonly FileSystemWatcher? _watcher;
    private readonly Debounce _debounce;
    private volatile ScoringPolicy _current;

    public PolicySource(string folder, ILogger logger)
    {
        _folder = folder;
        _logger = logger;
        _current = ScoringPolicy.LoadFolder(folder);
        _debounce = new Debounce(Reload, TimeSpan.FromMilliseconds(500));
        try
        {
            _watcher = new FileSystemWatcher(folder) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size };
            _watcher.Changed += (_, _) => ScheduleReload();
            _watcher.Created += (_, _) => ScheduleReload();
            _watcher.Deleted += (_, _) => ScheduleReload();
            _watcher.Renamed += (_, _) => ScheduleReload();
            _watcher.EnableRaisingEvents = true;
        }
        catch (IOException exception)
        {
            // E.g. the inotify instance limit: mail must still flow; only hot reload is lost.
            Log.WatchFailed(_logger, folder, exception.Message);
        }
    }

    public ScoringPolicy Current => _current;

    /// <summary>Raised after each reload attempt with whether it was applied.</summary>
    public event Action<bool>? Reloaded;

    public void Dispose()
    {
        _watcher?.Dispose();
        _debounce.Dispose();
    }

    /// <summary>Editors save in several steps; wait for quiet, then load once.</summary>
    private void ScheduleReload() => _debounce.Signal();

    private void Reload()
    {
        try
        {
            _current = ScoringPolicy.LoadFolder(_folder);
            Log.Reloaded(_logger, _folder, _current.Rules.Rules.Count);
            Reloaded?.Invoke(true);
        }
        catch (Exception exception)
        {
            // Everything, not only the errors we expect: this runs on a timer thread, where an exception
            // would end the process and close the port; the running policy must stay instead.
            Log.ReloadFailed(_logger, _folder, exception is ConfigException or IOException or UnauthorizedAccessException ? exception.Message : $"internal error: {exception.GetType().Name}: {exception.Message}");
            Reloaded?.Invoke(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Policy in {Folder} reloaded: {Rules} rules")]
        public static partial void Reloaded(ILogger logger, string folder, int rules);

        [LoggerMessage(EventId = 5003, Level = LogLevel.Warning, Message = "Cannot watch {Folder} ({Reason}): policy changes need a restart")]
        public static partial void WatchFailed(ILogger logger, string folder, string reason);

        [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Policy in {Folder} NOT reloaded, the previous one stays in force:\n{Errors}")]
        public static partial void ReloadFailed(ILogger logger, string folder, string errors);
    }
}
