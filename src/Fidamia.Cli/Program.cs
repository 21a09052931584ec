using System.CommandLine;
using Fidamia.Cli;

var root = new RootCommand("fidamia: triage citizen reports with the Fidamia service")
{
    TriageCommand.Create(),
    RouteCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
