using System.CommandLine;

namespace Fidamia.Cli.Model;

/// <summary><c>fidamia model</c>: tools on the model repository's versions, and a running service's versions.</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var command = new Command(
            "model",
            "Work on model versions (validate, evaluate, calibrate, train, export, rescore, quantize) and on a running service's (list, load, activate, rollback, unload, status, shadow)")
        {
            ValidateCommand.Create(),
            EvaluateCommand.Create(),
            CalibrateCommand.Create(),
            TrainCommand.Create(),
            ExportCommand.Create(),
            RescoreCommand.Create(),
            QuantizeCommand.Create(),
        };
        foreach (var admin in ModelAdminCommands.Create())
        {
            command.Subcommands.Add(admin);
        }

        return command;
    }
}
