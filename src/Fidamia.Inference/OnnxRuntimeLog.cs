using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Fidamia.Inference;

/// <summary>
/// ONNX Runtime's own messages, through the service's logger (category <c>OnnxRuntime</c>) rather than written by the
/// native library to the console, so they are JSON lines like the rest where the logs are. Must run before ONNX Runtime's
/// environment exists: it is made once per process, with the first session.
/// </summary>
public static partial class OnnxRuntimeLog
{
    private static readonly Lock Gate = new();
    private static ILogger? _logger;

    // Kept in a field: the native library calls it for the process's lifetime.
    private static readonly DOrtLoggingFunction Forward = (_, severity, category, _, _, message) =>
    {
        if (_logger is { } logger)
        {
            LogOrt(logger, Level(severity), category, message);
        }
    };

    public static void Route(ILoggerFactory loggers)
    {
        lock (Gate)
        {
            if (_logger is not null || OrtEnv.IsCreated)
            {
                return;
            }

            _logger = loggers.CreateLogger("OnnxRuntime");
            var options = new EnvironmentCreationOptions
            {
                logId = "fidamia",
                logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
                loggingFunction = Forward,
            };
            OrtEnv.CreateInstanceWithOptions(ref options);
        }
    }

    private static LogLevel Level(OrtLoggingLevel severity) => severity switch
    {
        OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE => LogLevel.Trace,
        OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO => LogLevel.Debug,
        OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING => LogLevel.Warning,
        OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR => LogLevel.Error,
        _ => LogLevel.Critical,
    };

    [LoggerMessage(EventId = 2030, Message = "{Category}: {Message}")]
    private static partial void LogOrt(ILogger logger, LogLevel level, string category, string message);
}
