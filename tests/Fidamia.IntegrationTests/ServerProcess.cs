using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using Fidamia.Protos.V1;
using Fidamia.Tests;
using Grpc.Net.Client;

namespace Fidamia.IntegrationTests;

/// <summary>
/// The real server, as its own process (<c>dotnet Fidamia.Server.dll</c> from its build output), listening on a
/// free loopback port with a fresh data directory, reached over a real gRPC channel.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri[]> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Uri> _addresses = [];

    private ServerProcess(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    /// <summary>The gRPC endpoint.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The HTTP/1.1 endpoint (probes, /metrics), when the server has one.</summary>
    public Uri? HttpAddress { get; private set; }

    public GrpcChannel Channel { get; private set; } = null!;

    public TriageService.TriageServiceClient Client => new(Channel);

    public int ProcessId => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static string Configuration =>
        typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    public static string BuildOutput(string project, string assembly)
    {
        var path = Path.Combine(SharedData.RepositoryRoot, "src", project, "bin", Configuration, "net10.0", assembly);
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; build the solution first", path);
    }

    /// <summary>Starts the server with the given extra arguments and waits until it listens (or exits).</summary>
    public static Task<ServerProcess> StartAsync(params string[] arguments) =>
        StartFromAsync(BuildOutput("Fidamia.Server", "Fidamia.Server.dll"), arguments);

    /// <summary>Starts the server with environment variables of its own (e.g. OpenTelemetry's) and the given arguments.</summary>
    public static Task<ServerProcess> StartWithEnvironmentAsync(IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        LaunchAsync([BuildOutput("Fidamia.Server", "Fidamia.Server.dll")], SharedData.RepositoryRoot, arguments, environment);

    /// <summary>Starts the server from the given build (e.g. a copy missing a native library).</summary>
    public static Task<ServerProcess> StartFromAsync(string serverDll, params string[] arguments) =>
        LaunchAsync([serverDll], SharedData.RepositoryRoot, arguments);

    /// <summary>Starts the given build with <paramref name="workingDirectory"/> as the current directory.</summary>
    public static Task<ServerProcess> StartInAsync(string workingDirectory, string serverDll, params string[] arguments) =>
        LaunchAsync([serverDll], workingDirectory, arguments);

    /// <summary>
    /// Starts the server as the README does, <c>dotnet run --project src/Fidamia.Server -- ARGS</c>, from
    /// <paramref name="workingDirectory"/> (without building again: the test run has built it).
    /// </summary>
    public static Task<ServerProcess> StartWithDotnetRunAsync(string workingDirectory, params string[] arguments) =>
        LaunchAsync(
            ["run", "--no-build", "-c", Configuration, "--project", Path.Combine(SharedData.RepositoryRoot, "src", "Fidamia.Server"), "--"],
            workingDirectory,
            arguments);

    private static async Task<ServerProcess> LaunchAsync(
        string[] launcher, string workingDirectory, string[] arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("fidamia-it-").FullName;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var part in launcher)
        {
            start.ArgumentList.Add(part);
        }

        start.ArgumentList.Add("--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0");
        start.ArgumentList.Add("--Kestrel:Endpoints:Http:Url=http://127.0.0.1:0");
        start.ArgumentList.Add($"--DataDirectory={dataDirectory}");
        start.ArgumentList.Add("--Models:IntraOpThreads=1");
        start.ArgumentList.Add($"--Auth:DevelopmentKeyPath={TestTokens.KeyPath}");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // As `dotnet run` starts it (launchSettings.json): development mode, tokens signed with the run's test key.
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var server = new ServerProcess(process, dataDirectory);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.Exited += (_, _) => _ = Task.Run(async () =>
        {
            // Exited can fire before the last lines are read; WaitForExitAsync waits for the end of both streams.
            await process.WaitForExitAsync();
            server._listening.TrySetException(new ServerExitedException(process.ExitCode, server.Output));
        });
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var addresses = await server._listening.Task.WaitAsync(TimeSpan.FromSeconds(120));

        // Kestrel does not name its endpoints in the log: the one that answers /healthz over HTTP/1.1 is the HTTP one.
        using (var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) })
        {
            foreach (var address in addresses)
            {
                try
                {
                    using var answer = await http.GetAsync(new Uri(address, "/healthz"));
                    if (answer.IsSuccessStatusCode)
                    {
                        server.HttpAddress = address;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    // The gRPC endpoint speaks HTTP/2 only.
                }
            }
        }

        server.Address = addresses.First(a => a != server.HttpAddress);
        // Every role, unless a call brings its own token.
        server.Channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions
        {
            MaxSendMessageSize = null,
            HttpHandler = new DefaultTokenHandler(TestTokens.Everything()),
        });
        return server;
    }

    /// <summary>Waits for the process to exit on its own (a start-up failure) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(params string[] arguments)
    {
        try
        {
            await using var server = await StartAsync(arguments);
            return (0, server.Output);
        }
        catch (ServerExitedException ex)
        {
            return (ex.ExitCode, ex.Output);
        }
    }

    /// <summary>Peak resident memory of the server process (VmHWM), in bytes.</summary>
    public long PeakResidentBytes() => ProcStatus("VmHWM:");

    /// <summary>
    /// Lowers the peak (VmHWM) to the resident memory now, so that <see cref="PeakResidentBytes"/> measures what
    /// comes next rather than the start-up and model load (Linux 4.0 and later: "5" in /proc/PID/clear_refs).
    /// </summary>
    public void ResetPeakResident() => File.WriteAllText($"/proc/{_process.Id}/clear_refs", "5");

    /// <summary>Resident memory of the server process now (VmRSS), in bytes.</summary>
    public long ResidentBytes() => ProcStatus("VmRSS:");

    private long ProcStatus(string field)
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(DigitsRegex().Match(line).Value, System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no {field} in /proc status");
    }

    /// <summary>Sends SIGTERM, as Kubernetes and <c>docker stop</c> do.</summary>
    public void Terminate()
    {
        if (Kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed");
        }
    }

    /// <summary>Waits for the process to end on its own; its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    public async ValueTask DisposeAsync()
    {
        Channel?.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        var match = ListeningRegex().Match(line);
        if (match.Success)
        {
            lock (_addresses)
            {
                _addresses.Add(new Uri(match.Groups[1].Value));
            }
        }
        else if (line.Contains("Application started.", StringComparison.Ordinal))
        {
            lock (_addresses)
            {
                _listening.TrySetResult([.. _addresses]);
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://[^\s""]+)")]
    private static partial Regex ListeningRegex();

    [GeneratedRegex(@"\d+")]
    private static partial Regex DigitsRegex();
}

/// <summary>The server stopped before it listened (a start-up failure), with its exit code and everything it printed.</summary>
public sealed class ServerExitedException(int exitCode, string output)
    : InvalidOperationException($"the server exited with {exitCode} before listening:\n{output}")
{
    public int ExitCode { get; } = exitCode;

    public string Output { get; } = output;
}
