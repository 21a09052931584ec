using System.CommandLine;
using Fidamia.Cli;
using Fidamia.Cli.Bench;

var root = new RootCommand("fidamia: triage citizen reports with the Fidamia service")
{
    TriageCommand.Create(),
    RouteCommand.Create(),
    QueueCommand.Create(),
    QueueCommand.Report(),
    ReviewCommand.Create(),
    DatasetCommand.Create(),
    BenchCommand.Create(),
    Fidamia.Cli.Model.ModelCommand.Create(),
    CliAuth.Command(),
};
root.Options.Add(CliAuth.Token);
root.Options.Add(CliAuth.DevelopmentKeyPath);
var parsed = root.Parse(args);
// After Ctrl+C a bench finishes its in-flight calls and prints what it measured; the default 2 s could cut that short.
var exitCode = await parsed.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(10) });
// A command line that does not parse is a usage error (2), as every command's own checks say, not a failed call (1).
return parsed.Errors.Count > 0 ? 2 : exitCode;
