using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Fidamia.Benchmarks;

if (!BenchmarkPhotos.Available)
{
    Console.Error.WriteLine($"The benchmarks need the shared photos ({BenchmarkPhotos.SharedData}); set FIDAMIA_SHARED_DATA.");
    return 2;
}

// `photos DIR`: writes the benchmarks' generated photos, so the load tool can send exactly the same ones.
if (args is ["photos", var directory])
{
    Directory.CreateDirectory(Path.Combine(directory, "12mp"));
    Directory.CreateDirectory(Path.Combine(directory, "1mp"));
    File.WriteAllBytes(Path.Combine(directory, "12mp", "phone-12mp.jpg"), BenchmarkPhotos.Phone12MP());
    File.WriteAllBytes(Path.Combine(directory, "1mp", "photo-1mp.jpg"), BenchmarkPhotos.OneMP());
    Console.WriteLine($"wrote {directory}/12mp/phone-12mp.jpg and {directory}/1mp/photo-1mp.jpg");
    return 0;
}

// `shots DIR`: labelled shots of the shared photos as ImageFolders, DIR/train and DIR/test, for the model tools.
if (args is ["shots", var shots])
{
    var written = ShotFolders.Write(shots);
    Console.WriteLine($"wrote {written.Train} training and {written.Test} test shots under {shots}/train and {shots}/test");
    return 0;
}

// `memory`: how the prototype memory should score as examples pile up (accuracy on the shared photos, not speed).
if (args is ["memory"])
{
    return await MemoryStrategies.RunAsync();
}

// FIDAMIA_BENCHMARK_DRY=1: each selected benchmark once, in this process, to show the commands run (CI runs the README's
// benchmark commands so, word for word); the figures come from full runs only.
var config = Environment.GetEnvironmentVariable("FIDAMIA_BENCHMARK_DRY") == "1"
    ? DefaultConfig.Instance.AddJob(Job.Dry.WithToolchain(InProcessEmitToolchain.Instance))
    : null;
var summaries = BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args, config);
// A filter that matches nothing, or a benchmark that throws, is a failed command, not a quiet success.
return summaries.Any() && summaries.All(s => !s.HasCriticalValidationErrors && s.Reports.All(r => r.Success)) ? 0 : 1;
