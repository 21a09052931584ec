using System.Diagnostics;
using Fidamia.Core.Errors;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Inference;

/// <summary>What a model version in the repository is doing.</summary>
public enum ModelVersionState
{
    /// <summary>In the repository, not loaded.</summary>
    Available,

    Loading,

    /// <summary>Loaded, checked and warmed up: ready to go live.</summary>
    Loaded,

    /// <summary>Taking the traffic.</summary>
    Live,

    /// <summary>Loaded and running on a sample of the live traffic, off the request path, its answers only compared.</summary>
    Shadow,

    /// <summary>Could not be loaded; <see cref="ModelVersionInfo.Reason"/> says why.</summary>
    Failed,
}

/// <summary>One model version as the administration API shows it.</summary>
public sealed record ModelVersionInfo(
    string Name,
    string Version,
    ModelVersionState State,
    string? Reason,
    ModelManifest? Manifest,
    ModelDescriptor? Descriptor,
    TimeSpan? LoadTime,
    long? ResidentBytesAtLoad,
    DateTimeOffset? LoadedAt,
    DateTimeOffset? LiveSince,
    long Requests,
    ReembeddingProgress? Reembedding = null,
    string? ExecutionProvider = null,
    DerivedChecks? Checks = null);

/// <summary>
/// The quantizer's checks on a version built at load (an int8 one derived from its fp32 version), before it can go live:
/// ONNX Runtime must have fused every Conv into int8, and on up to <see cref="ModelManager.CheckPhotos"/> stored photos the
/// features must stay close to the fp32 version's. No stored photo yet: the cosine is not checked.
/// </summary>
public sealed record DerivedChecks(int Fp32Convs, int Int8Nodes, int Photos, double? MinCosine, double MinCosineRequired)
{
    public bool Passed => Fp32Convs == 0 && (MinCosine is null || MinCosine >= MinCosineRequired);

    public string Summary
    {
        get
        {
            var features = MinCosine is { } cosine
                ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"feature cosine to the fp32 version at least {cosine:0.0000} on {Photos} stored photos (required {MinCosineRequired:0.00})")
                : "no stored photo to compare features on yet";
            return string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{(Passed ? "passed" : "FAILED")}: {Int8Nodes} int8 nodes, {Fp32Convs} Conv left in fp32; {features}");
        }
    }
}

/// <summary>The live version, the one a rollback goes back to, every version loaded, and the candidate in shadow with its counters.</summary>
public sealed record ModelStatus(ModelVersionInfo Live, ModelVersionInfo? Previous, IReadOnlyList<ModelVersionInfo> Loaded, ModelShadow? Shadow);

/// <summary>A candidate in shadow and what it has counted.</summary>
public sealed record ModelShadow(ModelVersionInfo Candidate, Core.Shadow.ShadowStatus Counters);

/// <summary>
/// Loads, swaps, rolls back and unloads model versions while the service runs, in the spirit of Triton's model control
/// API. Loading happens beside the live version (validated against its manifest, warmed up, its prototype memory read
/// from the store) and never touches it when it fails; activating swaps one reference (<see cref="LiveModel"/>), so
/// requests already running finish on the old version, whose session is disposed when the last of them ends. One
/// administrative change at a time; reads (<see cref="List"/>, <see cref="Status"/>) never wait for them.
/// </summary>
public sealed partial class ModelManager : IDisposable
{
    private readonly ModelRepository _repository;
    private readonly InferenceOptions _options;
    private readonly LiveModel _live;
    private readonly ModelScorers _scorers;
    private readonly PrototypeSync _sync;
    private readonly Core.Shadow.ShadowTraffic _shadow;
    private readonly PrototypeReembedder _reembedder;
    private readonly Core.Storage.IReportStore _reports;
    private readonly Core.Storage.IPhotoArchive _archive;
    private readonly Core.Imaging.IPhotoDecoder _decoder;
    private readonly Core.Diagnostics.FidamiaMetrics _metrics;
    private (string Name, string Version)? _shadowKey;
    private readonly TimeProvider _clock;
    private readonly ILogger<ModelManager> _logger;
    /// <summary>Most stored photos a version built at load is compared with its fp32 version on.</summary>
    public const int CheckPhotos = 8;

    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Name, string Version), Entry> _entries = [];
    private (string Name, string Version) _liveKey;
    private (string Name, string Version)? _previous;

    public ModelManager(
        ModelRepository repository, IOptions<InferenceOptions> options, LiveModel live, ModelScorers scorers, PrototypeSync sync,
        Core.Shadow.ShadowTraffic shadow, PrototypeReembedder reembedder, Core.Storage.IReportStore reports, Core.Storage.IPhotoArchive archive,
        Core.Imaging.IPhotoDecoder decoder, Core.Diagnostics.FidamiaMetrics metrics, TimeProvider clock, ILogger<ModelManager> logger)
    {
        _metrics = metrics;
        _reports = reports;
        _archive = archive;
        _decoder = decoder;
        _reembedder = reembedder;
        _shadow = shadow;
        _repository = repository;
        _options = options.Value;
        _live = live;
        _scorers = scorers;
        _sync = sync;
        _clock = clock;
        _logger = logger;
        var started = live.Current;
        _liveKey = (started.Descriptor.Name, started.Descriptor.Version);

        // The version chosen at start: loaded by the host, this manager's to keep from now on.
        _entries[_liveKey] = new Entry
        {
            State = ModelVersionState.Loaded, Served = started, LoadedAt = clock.GetUtcNow(), LiveSince = clock.GetUtcNow(),
            Manifest = TryManifest(started.Descriptor.Name, started.Descriptor.Version, out _),
        };
    }

    /// <summary>Every version in the repository, and any loaded one whose folder has gone since, by name then version.</summary>
    public IReadOnlyList<ModelVersionInfo> List()
    {
        var keys = _repository.Models().SelectMany(m => _repository.Versions(m).Select(v => (Name: m, Version: v))).ToList();
        lock (_gate)
        {
            keys.AddRange(_entries.Keys.Where(k => !keys.Contains(k)));
        }

        return [.. keys.OrderBy(k => k.Name, StringComparer.Ordinal).ThenBy(k => k, VersionOrder.Instance).Select(k => Info(k.Name, k.Version))];
    }

    public ModelStatus Status()
    {
        lock (_gate)
        {
            var shadow = _shadowKey is { } key && _shadow.Status is { } counters ? new ModelShadow(Info(key.Name, key.Version), counters) : null;
            return new ModelStatus(
                Info(_liveKey.Name, _liveKey.Version),
                _previous is { } previous ? Info(previous.Name, previous.Version) : null,
                [.. _entries.Where(e => e.Value.Served is not null).Select(e => e.Key).Order(VersionOrder.Instance).Select(k => Info(k.Name, k.Version))],
                shadow);
        }
    }

    /// <summary>Loads a version beside the live one: validated, warmed up, its memory read. A version already loaded is left as it is.</summary>
    /// <exception cref="NotFoundException">No such version in the repository.</exception>
    /// <exception cref="PreconditionFailedException">It cannot be loaded; the reason says why, and the live version is untouched.</exception>
    public async Task<ModelVersionInfo> LoadAsync(string name, string version, CancellationToken cancellationToken)
    {
        var directory = Locate(name, version);
        await _changes.WaitAsync(cancellationToken);
        try
        {
            await LoadCoreAsync(name, version, directory, cancellationToken);
            return Info(name, version);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Makes a loaded version live. An embedding model of another name than the live one starts from its own prototype
    /// memory: while that memory is empty and the live one's is not, the swap would start cold, and is refused unless
    /// <paramref name="force"/>d.
    /// </summary>
    public async Task<ModelStatus> ActivateAsync(string name, string version, bool force, CancellationToken cancellationToken)
    {
        CheckNames(name, version);
        await _changes.WaitAsync(cancellationToken);
        try
        {
            Entry entry;
            lock (_gate)
            {
                if (!_entries.TryGetValue((name, version), out entry!) || entry.Served is null)
                {
                    _ = Locate(name, version);
                    throw new PreconditionFailedException(
                        $"model {name} version {version} is not loaded: Load it first", Subject(name, version), "NOT_LOADED");
                }
            }

            if ((name, version) != _liveKey)
            {
                if (!force)
                {
                    CheckWarm(entry.Served, entry);
                }

                if (_shadowKey == (name, version))
                {
                    // The candidate goes live: nothing left to compare it with.
                    StopShadowCore();
                }

                Swap((name, version), entry);
                _metrics.ModelSwapped("activate");
            }

            return Status();
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Goes back to the version that was live before the last swap, loading it again if it was unloaded.</summary>
    public async Task<ModelStatus> RollbackAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (_previous is not { } previous)
            {
                throw new PreconditionFailedException("no version was live before this one: nothing to roll back to", "models", "NO_PREVIOUS");
            }

            var entry = await LoadCoreAsync(previous.Name, previous.Version, Locate(previous.Name, previous.Version), cancellationToken);
            Swap(previous, entry);
            _metrics.ModelSwapped("rollback");
            return Status();
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Unloads a version that is not live; its session goes once the requests running on it end.</summary>
    public async Task<ModelVersionInfo> UnloadAsync(string name, string version, CancellationToken cancellationToken)
    {
        CheckNames(name, version);
        await _changes.WaitAsync(cancellationToken);
        try
        {
            ServedModel served;
            lock (_gate)
            {
                if ((name, version) == _liveKey)
                {
                    throw new PreconditionFailedException(
                        $"model {name} version {version} is live: activate another version before unloading it", Subject(name, version), "LIVE");
                }

                if (!_entries.TryGetValue((name, version), out var entry) || entry.Served is null)
                {
                    _ = Locate(name, version);
                    throw new PreconditionFailedException($"model {name} version {version} is not loaded", Subject(name, version), "NOT_LOADED");
                }

                if (_shadowKey == (name, version))
                {
                    throw new PreconditionFailedException(
                        $"model {name} version {version} is in shadow: stop the shadow before unloading it", Subject(name, version), "SHADOW");
                }

                served = entry.Served;
                _entries.Remove((name, version));
                entry.StopReembedding();
            }

            served.Release();
            LogUnloaded(_logger, name, version);
            return Info(name, version);
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>
    /// Runs a loaded version that is not live on <paramref name="sampleRate"/> of the live reports, off the request path,
    /// comparing its labels with the live model's (and, once operators decide, with theirs). Replaces any other shadow.
    /// </summary>
    public async Task<ModelStatus> ShadowAsync(string name, string version, double sampleRate, CancellationToken cancellationToken)
    {
        CheckNames(name, version);
        if (!(sampleRate is > 0 and <= 1))
        {
            throw new InvalidRequestException("sample_rate", "must be above 0 and at most 1 (the share of live reports the candidate sees)");
        }

        await _changes.WaitAsync(cancellationToken);
        try
        {
            lock (_gate)
            {
                if ((name, version) == _liveKey)
                {
                    throw new PreconditionFailedException(
                        $"model {name} version {version} is live: a shadow runs a candidate beside it", Subject(name, version), "LIVE");
                }

                if (!_entries.TryGetValue((name, version), out var entry) || entry.Served is null)
                {
                    _ = Locate(name, version);
                    throw new PreconditionFailedException($"model {name} version {version} is not loaded: Load it first", Subject(name, version), "NOT_LOADED");
                }

                _shadow.Start(entry.Served, sampleRate);
                _shadowKey = (name, version);
            }

            return Status();
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Stops the shadow; the candidate stays loaded.</summary>
    public async Task<ModelStatus> StopShadowAsync(CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            if (_shadowKey is null)
            {
                throw new PreconditionFailedException("no model version is in shadow", "models", "NO_SHADOW");
            }

            StopShadowCore();
            return Status();
        }
        finally
        {
            _changes.Release();
        }
    }

    public void Dispose()
    {
        _shadow.Stop();
        lock (_gate)
        {
            foreach (var entry in _entries.Values)
            {
                entry.StopReembedding();
                entry.Served?.Release();
                entry.Served = null;
            }

            _entries.Clear();
        }

        _changes.Dispose();
    }

    private static string Subject(string name, string version) => $"models/{name}/{version}";

    private void StopShadowCore()
    {
        lock (_gate)
        {
            _shadow.Stop();
            _shadowKey = null;
        }
    }

    /// <summary>Names are folder names in the repository: nothing that could leave it.</summary>
    private static void CheckNames(string name, string version)
    {
        var violations = new List<FieldViolation>();
        foreach (var (field, value) in new[] { ("name", name), ("version", version) })
        {
            if (string.IsNullOrEmpty(value))
            {
                violations.Add(new(field, "is required"));
            }
            else if (value.Length > 100 || value is "." or ".." || value.IndexOfAny(['/', '\\', '\0']) >= 0)
            {
                violations.Add(new(field, "is not a folder name of the model repository"));
            }
        }

        if (violations.Count > 0)
        {
            throw new InvalidRequestException(violations);
        }
    }

    private string Locate(string name, string version)
    {
        CheckNames(name, version);
        try
        {
            return _repository.Resolve(name, version);
        }
        catch (ModelLoadException)
        {
            throw new NotFoundException($"model {name} has no version {version} in the model repository");
        }
    }

    /// <summary>Refuses a swap to a version <see cref="ActivationPolicy"/> says is not ready.</summary>
    private void CheckWarm(ServedModel next, Entry entry)
    {
        if (ActivationPolicy.Check(entry.Checks, entry.Reembedding, next.Scorer as PrototypeMemory, _live.Current.Scorer as PrototypeMemory) is { } refusal)
        {
            throw new PreconditionFailedException(
                $"model {next.Descriptor.Name} version {next.Descriptor.Version}: {refusal.Reason}", Subject(next.Descriptor.Name, next.Descriptor.Version), refusal.Type);
        }
    }

    private void Swap((string Name, string Version) key, Entry entry)
    {
        var replaced = _live.Swap(entry.Served!);
        lock (_gate)
        {
            _previous = (replaced.Descriptor.Name, replaced.Descriptor.Version);
            _liveKey = key;
            entry.LiveSince = _clock.GetUtcNow();
        }

        LogActivated(_logger, key.Name, key.Version, replaced.Descriptor.Name, replaced.Descriptor.Version);
    }

    private async Task<Entry> LoadCoreAsync(string name, string version, string directory, CancellationToken cancellationToken)
    {
        Entry entry;
        lock (_gate)
        {
            if (_entries.TryGetValue((name, version), out var known) && known.Served is not null)
            {
                return known;
            }

            entry = new Entry { State = ModelVersionState.Loading, Manifest = TryManifest(name, version, out _) };
            _entries[(name, version)] = entry;
        }

        var started = Stopwatch.GetTimestamp();
        var resident = ResidentBytes();
        OnnxImageModel? model = null;
        try
        {
            // ONNX Runtime's load and warm-up (and an int8 build for a derived version) run off the request threads.
            model = await Task.Run(() => OnnxImageModel.Load(directory, _options, inspectDerived: true), cancellationToken);
            if (model.Descriptor.Name != name || model.Descriptor.Version != version)
            {
                throw new ModelLoadException($"its manifest names it {model.Descriptor.Name} version {model.Descriptor.Version}, not {name} version {version}");
            }

            var scorer = _scorers.For(model.Descriptor);
            if (scorer is PrototypeMemory memory)
            {
                await _sync.CatchUpAsync(memory, cancellationToken);
                memory.Consolidate(cancellationToken);
            }

            var checks = model.DerivedFusion is { } fusion ? await CheckDerivedAsync(model, fusion, entry.Manifest, cancellationToken) : null;
            var served = new ServedModel(model, scorer);
            if (scorer is PrototypeMemory own && _live.Current.Scorer is PrototypeMemory live && !ReferenceEquals(own, live))
            {
                // Another feature space: what operators taught the live model is re-embedded for this one, in the background.
                entry.StartReembedding(new ReembeddingProgress(live.Model), token => _reembedder.RunAsync(served, own, entry.Reembedding!, token));
            }

            lock (_gate)
            {
                entry.Served = served;
                entry.Checks = checks;
                entry.State = ModelVersionState.Loaded;
                entry.LoadTime = Stopwatch.GetElapsedTime(started);
                entry.ResidentBytesAtLoad = ResidentBytes() - resident;
                entry.LoadedAt = _clock.GetUtcNow();
            }

            LogLoaded(_logger, name, version, entry.LoadTime.Value.TotalSeconds, model.ExecutionProvider);
            _metrics.ModelLoaded(loaded: true);
            if (_options.ExecutionProvider != ExecutionProvider.Cpu && model.ExecutionProvider.StartsWith("cpu", StringComparison.Ordinal))
            {
                InferenceHostingExtensions.LogProviderFellBack(_logger, _options.ExecutionProvider.ToString(), model.ExecutionProvider);
            }
            return entry;
        }
        catch (Exception ex) when (ex is ModelLoadException or InvalidOperationException or OperationCanceledException)
        {
            model?.Dispose();
            var reason = ex is OperationCanceledException ? "the load was cancelled" : ex.Message;
            lock (_gate)
            {
                entry.State = ModelVersionState.Failed;
                entry.Reason = reason;
            }

            LogLoadFailed(_logger, name, version, reason);
            _metrics.ModelLoaded(loaded: false);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new PreconditionFailedException(
                $"model {name} version {version} cannot be loaded: {reason} (the live version is unchanged)", Subject(name, version), "LOAD_FAILED");
        }
    }

    /// <summary>
    /// A version built at load against the version it was derived from: ORT's fusion of it, and the cosine of their
    /// features on the most recent stored photos (held out of its calibration by nature).
    /// </summary>
    private async Task<DerivedChecks> CheckDerivedAsync(OnnxImageModel model, Quantization.FusionReport fusion, ModelManifest? manifest, CancellationToken cancellationToken)
    {
        var parentKey = manifest?.DerivedFrom?.Split('/') is [var parentName, var parentVersion] ? (parentName, parentVersion) : default;
        var photos = new List<byte[]>();
        var recent = await _reports.ListReceivedAsync(_clock.GetUtcNow().AddDays(-30), null, 200, cancellationToken);
        foreach (var report in recent.TakeLast(CheckPhotos))
        {
            if (await _reports.FindAsync(report.ReportId, cancellationToken) is { Report.PhotoDeletedAt: null } stored
                && await _archive.ReadAsync(stored.Report.PhotoSha256, cancellationToken) is { } photo)
            {
                photos.Add(photo);
            }
        }

        if (photos.Count == 0 || parentKey == default)
        {
            return new DerivedChecks(fusion.Fp32Convs, fusion.Int8Nodes, 0, null, _options.DerivedMinCosine);
        }

        return await Task.Run(
            () =>
            {
                OnnxImageModel? loadedHere = null;
                ServedModel? held = null;
                try
                {
                    IImageModel parent;
                    lock (_gate)
                    {
                        held = _entries.TryGetValue(parentKey, out var entry) && entry.Served is { } served && served.TryAcquire() ? served : null;
                    }

                    parent = held?.Model ?? (loadedHere = OnnxImageModel.Load(_repository.Resolve(parentKey.parentName, parentKey.parentVersion), _options));
                    var spec = model.Descriptor.Input;
                    var minimum = double.PositiveInfinity;
                    foreach (var photo in photos)
                    {
                        var tensor = new float[spec.Length];
                        _decoder.DecodeInto(photo, spec, tensor, cancellationToken);

                        var (int8, fp32) = (new float[model.Descriptor.OutputLength], new float[parent.Descriptor.OutputLength]);
                        model.Run(tensor, int8, cancellationToken);
                        parent.Run(tensor, fp32, cancellationToken);
                        minimum = Math.Min(minimum, VectorMath.Cosine(int8, fp32));
                    }

                    return new DerivedChecks(fusion.Fp32Convs, fusion.Int8Nodes, photos.Count, minimum, _options.DerivedMinCosine);
                }
                finally
                {
                    held?.Release();
                    loadedHere?.Dispose();
                }
            },
            cancellationToken);
    }

    private ModelVersionInfo Info(string name, string version)
    {
        lock (_gate)
        {
            var manifest = TryManifest(name, version, out var unreadable);
            if (!_entries.TryGetValue((name, version), out var entry))
            {
                return new ModelVersionInfo(
                    name, version, unreadable is null ? ModelVersionState.Available : ModelVersionState.Failed, unreadable, manifest, null, null, null, null, null, 0);
            }

            var state = (name, version) == _liveKey ? ModelVersionState.Live : (name, version) == _shadowKey ? ModelVersionState.Shadow : entry.State;
            return new ModelVersionInfo(
                name, version, state, entry.Reason, entry.Manifest ?? manifest, entry.Served?.Descriptor, entry.LoadTime, entry.ResidentBytesAtLoad,
                entry.LoadedAt, state == ModelVersionState.Live ? entry.LiveSince : null, entry.Served?.Requests ?? 0, entry.Reembedding,
                (entry.Served?.Model as OnnxImageModel)?.ExecutionProvider, entry.Checks);
        }
    }

    private ModelManifest? TryManifest(string name, string version, out string? problem)
    {
        problem = null;
        var path = Path.Combine(_repository.Root, name, version, "manifest.json");
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var manifest = ModelManifest.Load(path);
            var problems = manifest.Problems();
            problem = problems.Count > 0 ? $"manifest: {string.Join("; ", problems)}" : null;
            return manifest;
        }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException or ModelLoadException)
        {
            problem = $"manifest unreadable: {ex.Message}";
            return null;
        }
    }

    private static long ResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Model {Name} version {Version} loaded in {Seconds:0.0} s, on {Provider}")]
    private static partial void LogLoaded(ILogger logger, string name, string version, double seconds, string provider);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Warning, Message = "Model {Name} version {Version} could not be loaded: {Reason}")]
    private static partial void LogLoadFailed(ILogger logger, string name, string version, string reason);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Information, Message = "Model {Name} version {Version} is live (was {OldName} version {OldVersion})")]
    private static partial void LogActivated(ILogger logger, string name, string version, string oldName, string oldVersion);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Information, Message = "Model {Name} version {Version} unloaded")]
    private static partial void LogUnloaded(ILogger logger, string name, string version);

    private sealed class Entry : IDisposable
    {
        public ModelVersionState State { get; set; }

        public ServedModel? Served { get; set; }

        public string? Reason { get; set; }

        public ModelManifest? Manifest { get; set; }

        public TimeSpan? LoadTime { get; set; }

        public long? ResidentBytesAtLoad { get; set; }

        public DateTimeOffset? LoadedAt { get; set; }

        public DateTimeOffset? LiveSince { get; set; }

        public ReembeddingProgress? Reembedding { get; private set; }

        public DerivedChecks? Checks { get; set; }

        private CancellationTokenSource? _reembedding;

        public void StartReembedding(ReembeddingProgress progress, Func<CancellationToken, Task> run)
        {
            Reembedding = progress;
            _reembedding = new CancellationTokenSource();
            var token = _reembedding.Token;
            _ = Task.Run(() => run(token), CancellationToken.None);
        }

        public void Dispose() => StopReembedding();

        public void StopReembedding()
        {
            _reembedding?.Cancel();
            _reembedding?.Dispose();
            _reembedding = null;
        }
    }

    /// <summary>Versions in numeric order when they are numbers, as the repository sorts them.</summary>
    private sealed class VersionOrder : IComparer<(string Name, string Version)>
    {
        public static VersionOrder Instance { get; } = new();

        public int Compare((string Name, string Version) x, (string Name, string Version) y)
        {
            var byName = string.CompareOrdinal(x.Name, y.Name);
            if (byName != 0)
            {
                return byName;
            }

            var xn = long.TryParse(x.Version, out var a);
            var yn = long.TryParse(y.Version, out var b);
            return xn && yn ? a.CompareTo(b) : xn ? -1 : yn ? 1 : string.CompareOrdinal(x.Version, y.Version);
        }
    }
}
