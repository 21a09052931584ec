using Fidamia.Core.Files;
using Fidamia.Core.Routing;
using Fidamia.Core.Taxonomy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fidamia.Routing;

/// <summary>The outcome of one reload: on failure, the problems, and the previous rules still serve.</summary>
internal sealed record RulesReloadResult(bool Succeeded, IReadOnlyList<string> Problems);

/// <summary>
/// Routes reports by the rules of a YAML file: the first matching rule names the queue, the default queue
/// catches the rest. The file is read and validated when the router is built (invalid rules throw
/// <see cref="RoutingRulesException"/>, which stops start-up) and again whenever it changes, once watching.
/// </summary>
public sealed partial class RulesRouter : IQueueRouter, IDisposable
{
    private readonly Taxonomy _taxonomy;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _reloadGate = new();
    private readonly Lock _watchGate = new();

    // Replaced whole on reload; readers take one reference and route with that version only.
    private volatile RuleSet _rules;
    private FileChangeWatcher? _watcher;
    private bool _disposed;

    /// <exception cref="RoutingRulesException">The file cannot be read or its rules are invalid.</exception>
    public RulesRouter(Taxonomy taxonomy, string rulesPath, ILogger<RulesRouter>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(taxonomy);
        ArgumentException.ThrowIfNullOrWhiteSpace(rulesPath);
        _taxonomy = taxonomy;
        _logger = logger ?? NullLogger<RulesRouter>.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        RulesPath = Path.GetFullPath(rulesPath);
        _rules = RoutingRulesLoader.LoadFile(RulesPath, taxonomy);
        LogRulesLoaded(_logger, RulesPath, _rules.Queues.Count, _rules.Rules.Count);
    }

    /// <summary>Raised after every reload, from the watcher's timer or <see cref="TryReload"/>; for tests and diagnostics.</summary>
    internal event Action<RulesReloadResult>? Reloaded;

    public string RulesPath { get; }

    /// <summary>The rules that route now.</summary>
    internal RuleSet Rules => _rules;

    public QueueAssignment Route(RouteRequest request) => _rules.Route(request);

    public QueueRef? FindQueue(string id) => _rules.Queues.TryGetValue(id, out var queue) ? queue.Ref : null;

    /// <summary>Reads the file again: valid rules replace the current ones at once; invalid ones leave them serving.</summary>
    internal RulesReloadResult TryReload()
    {
        RulesReloadResult result;
        // One reload at a time, so an older read cannot overwrite a newer one.
        lock (_reloadGate)
        {
            try
            {
                var rules = RoutingRulesLoader.LoadFile(RulesPath, _taxonomy);
                _rules = rules;
                result = new RulesReloadResult(true, []);
                LogRulesReloaded(_logger, RulesPath, rules.Queues.Count, rules.Rules.Count);
            }
            catch (RoutingRulesException ex)
            {
                result = new RulesReloadResult(false, ex.Problems);
                LogReloadRejected(_logger, RulesPath, string.Join(Environment.NewLine, ex.Problems));
            }
        }

        Reloaded?.Invoke(result);
        return result;
    }

    /// <summary>Reloads the rules when their file changes, once it has been quiet for <paramref name="debounce"/>.</summary>
    internal void StartWatching(TimeSpan debounce)
    {
        lock (_watchGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_watcher is not null)
            {
                return;
            }

            _watcher = new FileChangeWatcher(
                [RulesPath],
                debounce,
                () => TryReload(),
                ex => LogWatcherError(_logger, RulesPath, ex.Message),
                _timeProvider);
        }
    }

    internal void StopWatching()
    {
        lock (_watchGate)
        {
            _watcher?.Dispose();
            _watcher = null;
        }
    }

    public void Dispose()
    {
        lock (_watchGate)
        {
            _disposed = true;
        }

        StopWatching();
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Routing rules {Path} loaded: {Queues} queues, {Rules} rules")]
    private static partial void LogRulesLoaded(ILogger logger, string path, int queues, int rules);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Routing rules {Path} reloaded: {Queues} queues, {Rules} rules")]
    private static partial void LogRulesReloaded(ILogger logger, string path, int queues, int rules);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error,
        Message = "Routing rules {Path} changed but are invalid; the previous rules still route. Problems:\n{Problems}")]
    private static partial void LogReloadRejected(ILogger logger, string path, string problems);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "Watching routing rules {Path} failed ({Error}); reloading in case a change was missed")]
    private static partial void LogWatcherError(ILogger logger, string path, string error);
}
