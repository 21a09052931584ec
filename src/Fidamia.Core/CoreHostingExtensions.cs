using Fidamia.Core.Context;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Duplicates;
using Fidamia.Core.Review;
using Fidamia.Core.Fusion;
using Fidamia.Core.Models;
using Fidamia.Core.Pipeline;
using Fidamia.Core.Routing;
using Fidamia.Core.Scheduling;
using Fidamia.Core.Scoring;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Core;

/// <summary>Where the service keeps its state (prototype memory, later the queues).</summary>
public sealed record DataDirectory(string Path)
{
    public const string ConfigurationKey = "DataDirectory";

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);
}

public static class CoreHostingExtensions
{
    /// <summary>The pipeline, its options, the taxonomy and the prototype memory.</summary>
    public static IHostApplicationBuilder AddFidamiaCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddFidamiaTaxonomy();
        services.AddOptions<PrototypeOptions>()
            .Bind(builder.Configuration.GetSection(PrototypeOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.SeedPath) || Directory.Exists(o.SeedPath), "Prototypes:SeedPath names no folder")
            .ValidateOnStart();

        var dataDirectory = builder.Configuration[DataDirectory.ConfigurationKey];
        services.AddSingleton(new DataDirectory(Path.GetFullPath(string.IsNullOrEmpty(dataDirectory) ? "data" : dataDirectory)));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<FidamiaMetrics>();
        services.AddSingleton<ReportValidator>();
        services.AddSingleton<DeclarationReliability>();
        services.AddSingleton(sp => new EvidenceFusion(
            sp.GetRequiredService<Taxonomy.Taxonomy>(), sp.GetRequiredService<IOptions<TriageOptions>>(), sp.GetRequiredService<DeclarationReliability>()));
        services.AddHostedService<DeclarationReliabilityRefresher>();
        services.TryAddSingleton<IQueueRouter, FamilyTerritoryRouter>();
        services.AddSingleton(sp => new PrototypeJsonFile(sp.GetRequiredService<DataDirectory>().Combine("prototypes")));
        services.AddSingleton<ModelScorers>();
        services.AddSingleton<PrototypeReembedder>();
        // Starts with the version the options chose; ModelManager swaps it at run time.
        services.AddSingleton(sp =>
        {
            var model = sp.GetRequiredService<IImageModel>();
            return new LiveModel(new ServedModel(model, sp.GetRequiredService<ModelScorers>().For(model.Descriptor)));
        });
        services.AddOptions<SchedulerOptions>()
            .Bind(builder.Configuration.GetSection(SchedulerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<InferenceScheduler>();
        services.AddSingleton<PhotoAdmission>();
        services.AddSingleton<PhotoBytesBudget>();
        services.AddSingleton<PhotoModelRunner>();
        services.AddSingleton<TriagePolicy>();
        services.AddSingleton<TriagePipeline>();
        services.AddSingleton<PrototypeSync>();
        services.AddHostedService(sp => sp.GetRequiredService<PrototypeSync>());
        services.AddHostedService<PrototypeSeeder>();
        services.AddOptions<DuplicateOptions>()
            .Bind(builder.Configuration.GetSection(DuplicateOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => o.RadiusM.Values.All(r => r is > 0 and <= 1000), "Duplicates:RadiusM: every radius must be between 1 and 1000 m")
            .ValidateOnStart();
        services.AddSingleton<DeclaredLabels>();
        services.AddSingleton<DuplicatePolicy>();
        services.AddSingleton<DuplicateFinder>();
        services.AddOptions<ReviewOptions>()
            .Bind(builder.Configuration.GetSection(ReviewOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<ReviewService>();
        services.AddOptions<Shadow.ShadowOptions>()
            .Bind(builder.Configuration.GetSection(Shadow.ShadowOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<Shadow.ShadowTraffic>();
        return builder;
    }

    /// <summary>The triage options and the taxonomy they name: all that tools routing without a photo need from Core.</summary>
    public static IHostApplicationBuilder AddFidamiaTaxonomy(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TriageOptions>()
            .Bind(builder.Configuration.GetSection(TriageOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(o => string.IsNullOrEmpty(o.TaxonomyPath) || File.Exists(o.TaxonomyPath), "Triage:TaxonomyPath names no file")
            .ValidateOnStart();
        services.TryAddSingleton(sp =>
        {
            var path = sp.GetRequiredService<IOptions<TriageOptions>>().Value.TaxonomyPath;
            return Taxonomy.Taxonomy.Load(string.IsNullOrEmpty(path) ? Path.Combine(AppContext.BaseDirectory, "taxonomy.json") : path);
        });
        services.AddOptions<ContextPriorOptions>().Bind(builder.Configuration.GetSection(ContextPriorOptions.SectionName));
        services.TryAddSingleton<IContextPrior, ConfiguredContextPrior>();
        return builder;
    }
}
