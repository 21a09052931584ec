using Fidamia.Core.Errors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Inference;

/// <summary>
/// Looks at the model repository every <see cref="InferenceOptions.WatchInterval"/> for new versions of the live model
/// and loads them (<see cref="ModelWatchMode.Load"/>) or loads and activates them (<see cref="ModelWatchMode.Activate"/>).
/// The repository is polled rather than watched for file events: mounted volumes and copies into them do not always
/// raise events, and a version folder is only taken once its manifest is there. With the default,
/// <see cref="ModelWatchMode.List"/>, nothing runs here: <see cref="ModelManager.List"/> reads the repository on each call.
/// </summary>
public sealed partial class ModelRepositoryWatcher(
    ModelManager models, ModelRepository repository, IOptions<InferenceOptions> options, TimeProvider clock, ILogger<ModelRepositoryWatcher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var mode = options.Value.Watch;
        if (mode == ModelWatchMode.List)
        {
            return;
        }

        // What is there at start was chosen by the options; only what comes later is taken.
        var known = new HashSet<(string, string)>(repository.Models().SelectMany(m => repository.Versions(m).Select(v => (m, v))));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.WatchInterval, clock, stoppingToken);
                var live = models.Status().Live;
                foreach (var version in repository.Versions(live.Name).Where(v => !known.Contains((live.Name, v))).ToList())
                {
                    if (!Readable(Path.Combine(repository.Root, live.Name, version, "manifest.json")))
                    {
                        continue; // still being copied: taken at a later look
                    }

                    known.Add((live.Name, version));
                    await TakeAsync(live.Name, version, mode, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (IOException ex)
            {
                LogWatchFailed(logger, ex);
            }
        }
    }

    private static bool Readable(string manifest)
    {
        try
        {
            ModelManifest.Load(manifest);
            return true;
        }
        catch (Exception ex) when (ex is IOException or System.Text.Json.JsonException or ModelLoadException)
        {
            return false;
        }
    }

    private async Task TakeAsync(string name, string version, ModelWatchMode mode, CancellationToken cancellationToken)
    {
        LogFound(logger, name, version, mode.ToString());
        try
        {
            await models.LoadAsync(name, version, cancellationToken);
            if (mode == ModelWatchMode.Activate)
            {
                await models.ActivateAsync(name, version, force: false, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is PreconditionFailedException or NotFoundException or InvalidRequestException)
        {
            // The reason is in ModelService.List; the live version is untouched.
            LogNotTaken(logger, name, version, ex.Message);
        }
    }

    [LoggerMessage(EventId = 2020, Level = LogLevel.Information, Message = "New version {Version} of model {Name} in the repository ({Mode})")]
    private static partial void LogFound(ILogger logger, string name, string version, string mode);

    [LoggerMessage(EventId = 2021, Level = LogLevel.Warning, Message = "New version {Version} of model {Name} not taken: {Reason}")]
    private static partial void LogNotTaken(ILogger logger, string name, string version, string reason);

    [LoggerMessage(EventId = 2022, Level = LogLevel.Warning, Message = "Reading the model repository failed; trying again at the next interval")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception);
}
