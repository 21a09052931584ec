namespace Fidamia.Core.Files;

/// <summary>
/// Watches a few files of one folder (a rules file; a layer and its sidecars) and calls back once a burst of
/// changes is over. Editors and copies write a file in several steps, so each change only pushes the callback
/// back by the quiet period. The folder is watched, not the files: editors save by writing a new file and
/// renaming it over the old one, and a Kubernetes ConfigMap swaps a "..data" link beside the files.
/// </summary>
public sealed class FileChangeWatcher : IDisposable
{
    private readonly HashSet<string> _names;
    private readonly TimeSpan _quietPeriod;
    private readonly Action<Exception>? _onError;
    private readonly ITimer _timer;
    private readonly FileSystemWatcher _watcher;

    /// <param name="paths">Files of one folder.</param>
    /// <param name="onChanged">Runs on a timer thread; it must not throw.</param>
    /// <param name="onError">The watcher lost events (e.g. a buffer overflow); <paramref name="onChanged"/> runs anyway.</param>
    public FileChangeWatcher(
        IReadOnlyCollection<string> paths, TimeSpan quietPeriod, Action onChanged, Action<Exception>? onError = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(onChanged);
        var folders = paths.Select(p => Path.GetDirectoryName(Path.GetFullPath(p))!).Distinct(StringComparer.Ordinal).ToArray();
        if (folders.Length != 1)
        {
            throw new ArgumentException("the files must be in one folder", nameof(paths));
        }

        _names = new HashSet<string>(paths.Select(Path.GetFileName).OfType<string>(), StringComparer.OrdinalIgnoreCase);
        _quietPeriod = quietPeriod;
        _onError = onError;
        _timer = (timeProvider ?? TimeProvider.System).CreateTimer(_ => onChanged(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _watcher = new FileSystemWatcher(folders[0])
        {
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
            IncludeSubdirectories = false,
        };
        _watcher.Changed += OnEvent;
        _watcher.Created += OnEvent;
        _watcher.Deleted += OnEvent;
        _watcher.Renamed += OnEvent;
        _watcher.Error += OnWatcherError;
        _watcher.EnableRaisingEvents = true;
    }

    public void Dispose()
    {
        _watcher.EnableRaisingEvents = false;
        _watcher.Dispose();
        _timer.Dispose();
    }

    private void OnEvent(object sender, FileSystemEventArgs e)
    {
        var concerned = _names.Contains(e.Name ?? "")
            || (e is RenamedEventArgs renamed && _names.Contains(renamed.OldName ?? ""))
            || (e.Name?.StartsWith("..", StringComparison.Ordinal) ?? false);
        if (concerned)
        {
            Schedule();
        }
    }

    private void OnWatcherError(object sender, ErrorEventArgs e)
    {
        // Events may have been lost: better a needless reload than a missed change.
        _onError?.Invoke(e.GetException());
        Schedule();
    }

    private void Schedule()
    {
        try
        {
            _timer.Change(_quietPeriod, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // An event already on its way when watching stopped.
        }
    }
}
