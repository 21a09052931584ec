using Fidamia.Core.Files;
using Fidamia.Core.Geo;
using Fidamia.Core.Location;
using Fidamia.Gis.Sources;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fidamia.Gis;

/// <summary>The outcome of one reload attempt, for tests and diagnostics.</summary>
/// <param name="Error">Why the new file was refused (the old layer keeps serving); null on success.</param>
public sealed record LayerReload(string Layer, bool Succeeded, string? Error);

/// <summary>
/// The service's <see cref="ILocator"/>: the current <see cref="LayerSet"/>, swapped whole when a layer is reloaded,
/// so a query sees either the old layer or the new one, never a mix. File layers are watched for changes.
/// </summary>
public sealed partial class GisLocator : ILocator, IDisposable
{
    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private readonly List<FileChangeWatcher> _watchers = [];
    private readonly TimeSpan _debounce;
    private volatile LayerSet _current;
    private int _reloads;
    private bool _disposed;

    /// <summary>Loads every layer; throws (naming the layer and source) if any fails: a service must not start half-located.</summary>
    public GisLocator(GisOptions options, ILogger<GisLocator>? logger = null, TimeSpan? debounce = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _debounce = debounce ?? TimeSpan.FromMilliseconds(500);
        var layers = new List<GisLayer>();
        foreach (var definition in options.ResolveLayers())
        {
            var layer = GisLayer.Load(definition);
            LogLoaded(layer);
            layers.Add(layer);
        }

        _current = new LayerSet(layers, options.RoadDistanceM, options.BoundaryDistanceM);
        var demo = layers.Where(l => l.IsDemo).Select(l => l.Name).ToArray();
        if (demo.Length > 0)
        {
            LogDemoLayers(_logger, string.Join(", ", demo), GisOptions.CommunesPathKey);
        }
    }

    /// <summary>The current snapshot: hold on to it to see one consistent set of layers across several queries.</summary>
    public LayerSet Current => _current;

    /// <summary>How many reloads succeeded so far.</summary>
    public int Reloads => Volatile.Read(ref _reloads);

    /// <summary>Raised after every reload attempt, successful or not (on the thread that reloaded).</summary>
    public event EventHandler<LayerReload>? Reloaded;

    public LocationContext? Locate(GeoPoint point) => _current.Locate(point);

    /// <summary>
    /// Reads the layer's source again and, if it loads, swaps it in; if not, the old layer keeps serving and the
    /// reason is logged. Reloads are serialised so two changes cannot lose each other's layer.
    /// </summary>
    /// <exception cref="ArgumentException">No layer has that name.</exception>
    public LayerReload TryReload(string layerName)
    {
        LayerReload result;
        lock (_reloadLock)
        {
            var old = _current[layerName] ?? throw new ArgumentException($"no GIS layer is named '{layerName}'", nameof(layerName));
            try
            {
                var layer = GisLayer.Load(old.Definition);
                _current = _current.With(layer);
                Interlocked.Increment(ref _reloads);
                LogLoaded(layer);
                result = new LayerReload(layerName, true, null);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Whatever a half-written or foreign file makes a reader throw, a reload runs on a timer thread
                // and must never take the service down: the old layer keeps serving.
                LogReloadFailed(_logger, layerName, old.Source, ex.Message);
                result = new LayerReload(layerName, false, ex.Message);
            }
        }

        Reloaded?.Invoke(this, result);
        return result;
    }

    /// <summary>Watches every file layer's files; a change reloads that layer after a quiet period.</summary>
    public void StartWatching()
    {
        lock (_reloadLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_watchers.Count > 0)
            {
                return;
            }

            foreach (var layer in _current.Layers.Where(l => l.Definition.Path is not null))
            {
                var name = layer.Name;
                var path = layer.Definition.Path!;
                _watchers.Add(new FileChangeWatcher(
                    FeatureSources.FilesOf(path),
                    _debounce,
                    () => ReloadWatched(name),
                    ex => LogWatchFailed(_logger, name, path, ex.Message)));
            }
        }
    }

    public void StopWatching()
    {
        lock (_reloadLock)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Dispose();
            }

            _watchers.Clear();
        }
    }

    public void Dispose()
    {
        StopWatching();
        _disposed = true;
    }

    private void ReloadWatched(string layer)
    {
        try
        {
            TryReload(layer);
        }
        catch (ArgumentException)
        {
            // The layer left the set: nothing to reload.
        }
    }

    private void LogLoaded(GisLayer layer) =>
        LogLayerLoaded(_logger, layer.Name, layer.Role.ToString().ToLowerInvariant(), layer.Source, layer.Definition.Crs, layer.Count,
            layer.IsDemo ? "demo" : "full", layer.LoadTime.TotalMilliseconds);

    // Never log a report's coordinates: only layers are described here.
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information,
        Message = "GIS layer {Layer} ({Role}) loaded from {Source} (EPSG:{Crs}): {Features} features ({Kind} layer) in {ElapsedMs:0.0} ms")]
    private static partial void LogLayerLoaded(ILogger logger, string layer, string role, string source, int crs, int features, string kind, double elapsedMs);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning,
        Message = "GIS demo layers in use ({Layers}): hand-drawn or kilometres off, NOT for production; give --{Key}=FILE and Gis:Layers")]
    private static partial void LogDemoLayers(ILogger logger, string layers, string key);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Error,
        Message = "GIS layer {Layer} was not reloaded from {Source}; the previous version keeps serving: {Reason}")]
    private static partial void LogReloadFailed(ILogger logger, string layer, string source, string reason);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "GIS layer {Layer}: watching {Path} failed: {Reason}")]
    private static partial void LogWatchFailed(ILogger logger, string layer, string path, string reason);
}
