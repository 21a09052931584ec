using Fidamia.Core.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Inference;

public static partial class InferenceHostingExtensions
{
    /// <summary>The model repository and the served model (loaded, checked and warmed up at start).</summary>
    public static IHostApplicationBuilder AddFidamiaInference(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<InferenceOptions>()
            .Bind(builder.Configuration.GetSection(InferenceOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(
                o => Directory.Exists(o.ResolvedPath),
                "Models:Path: the model repository does not exist (give --Models:Path=DIR, or build the solution so the default model is copied into place)")
            .ValidateOnStart();
        builder.Services.AddSingleton(sp => new ModelRepository(sp.GetRequiredService<IOptions<InferenceOptions>>().Value.ResolvedPath));
        builder.Services.AddSingleton(sp =>
        {
            OnnxRuntimeLog.Route(sp.GetRequiredService<ILoggerFactory>());
            var options = sp.GetRequiredService<IOptions<InferenceOptions>>().Value;
            var logger = sp.GetRequiredService<ILogger<OnnxImageModel>>();
            var (directory, precision, reason) = sp.GetRequiredService<ModelRepository>().Choose(options);
            var model = OnnxImageModel.Load(directory, options);
            if (model.Precision != precision)
            {
                LogPrecisionUnavailable(logger, precision, reason, model.Precision);
            }
            else
            {
                LogPrecisionChosen(logger, precision, reason);
            }

            LogModelLoaded(logger, model.Descriptor.Name, model.Descriptor.Version, model.Descriptor.Kind.ToString(), model.Precision, model.Directory);
            if (options.ExecutionProvider != ExecutionProvider.Cpu && model.ExecutionProvider.StartsWith("cpu", StringComparison.Ordinal))
            {
                LogProviderFellBack(logger, options.ExecutionProvider.ToString(), model.ExecutionProvider);
            }
            else
            {
                LogProvider(logger, model.ExecutionProvider);
            }
            if (model.DerivedAtLoad is { } how)
            {
                LogModelDerived(logger, model.Descriptor.Name, model.Descriptor.Version, how);
            }

            return model;
        });
        builder.Services.AddSingleton<IImageModel>(sp => sp.GetRequiredService<OnnxImageModel>());
        builder.Services.AddSingleton<ModelManager>();
        builder.Services.AddHostedService<ModelRepositoryWatcher>();
        return builder;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Model {Name} version {Version} ({Kind}, {Precision}) loaded from {Directory}")]
    private static partial void LogModelLoaded(ILogger logger, string name, string version, string kind, string precision, string directory);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Models:ExecutionProvider={Wanted} could not start; serving on the CPU: {Provider}")]
    internal static partial void LogProviderFellBack(ILogger logger, string wanted, string provider);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Information, Message = "Serving on {Provider}")]
    private static partial void LogProvider(ILogger logger, string provider);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Model {Name} version {Version}: {How}")]
    private static partial void LogModelDerived(ILogger logger, string name, string version, string how);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Serving {Precision} ({Reason})")]
    private static partial void LogPrecisionChosen(ILogger logger, string precision, string reason);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "{Wanted} was chosen ({Reason}) but the model has no such version; serving {Served}")]
    private static partial void LogPrecisionUnavailable(ILogger logger, string wanted, string reason, string served);
}
