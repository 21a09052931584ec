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
            var options = sp.GetRequiredService<IOptions<InferenceOptions>>().Value;
            var model = sp.GetRequiredService<ModelRepository>().Load(options.Default, options.Version, options);
            LogModelLoaded(sp.GetRequiredService<ILogger<OnnxImageModel>>(), model.Descriptor.Name, model.Descriptor.Version, model.Descriptor.Kind.ToString(), model.Directory);
            return model;
        });
        builder.Services.AddSingleton<IImageModel>(sp => sp.GetRequiredService<OnnxImageModel>());
        return builder;
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Model {Name} version {Version} ({Kind}) loaded from {Directory}")]
    private static partial void LogModelLoaded(ILogger logger, string name, string version, string kind, string directory);
}
