using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Fidamia.Routing;

/// <summary>Where the routing rules come from (section <c>Routing</c>).</summary>
public sealed class RoutingOptions
{
    public const string SectionName = "Routing";

    /// <summary>The configuration key of the rules file's path, as named in start-up errors.</summary>
    public const string RulesPathKey = SectionName + ":" + nameof(RulesPath);

    /// <summary>The rules file (YAML); relative to the working directory. Empty for the rules shipped with the service.</summary>
    public string? RulesPath { get; set; }

    /// <summary>Reload the rules when the file changes.</summary>
    public bool WatchForChanges { get; set; } = true;

    /// <summary>
    /// How long the file must stay quiet before a reload: an editor's save or a copy raises several events,
    /// and a reload between them would read a half-written file.
    /// </summary>
    [Range(0, 60_000)]
    public int ReloadDebounceMs { get; set; } = 400;

    /// <summary>The rules shipped with the service, beside its assemblies.</summary>
    public static string ShippedRulesPath => Path.Combine(AppContext.BaseDirectory, "routing.yaml");

    public string ResolveRulesPath() =>
        string.IsNullOrWhiteSpace(RulesPath) ? ShippedRulesPath : Path.GetFullPath(RulesPath);
}

/// <summary>A rules file that does not exist stops start-up, naming the key and the path.</summary>
internal sealed class RoutingOptionsValidator : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        string path;
        try
        {
            path = options.ResolveRulesPath();
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return ValidateOptionsResult.Fail($"{RoutingOptions.RulesPathKey}: '{options.RulesPath}' is not a valid path: {ex.Message}");
        }

        if (File.Exists(path))
        {
            return ValidateOptionsResult.Success;
        }

        return string.IsNullOrWhiteSpace(options.RulesPath)
            ? ValidateOptionsResult.Fail($"{RoutingOptions.RulesPathKey} is not set and the shipped rules {path} are missing (rebuild Fidamia.Routing, or give --{RoutingOptions.RulesPathKey}=FILE)")
            : ValidateOptionsResult.Fail($"{RoutingOptions.RulesPathKey}: no file at '{options.RulesPath}' (resolved to {path})");
    }
}
