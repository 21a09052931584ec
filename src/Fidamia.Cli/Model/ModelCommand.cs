using System.CommandLine;

namespace Fidamia.Cli.Model;

/// <summary><c>fidamia model</c>: tools on the model repository's versions.</summary>
internal static class ModelCommand
{
    public static Command Create() => new("model", "Work on model versions (quantize)")
    {
        QuantizeCommand.Create(),
    };
}
