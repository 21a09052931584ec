using BenchmarkDotNet.Running;
using Fidamia.Benchmarks;

if (!BenchmarkPhotos.Available)
{
    Console.Error.WriteLine($"The benchmarks need the shared photos ({BenchmarkPhotos.SharedData}); set FIDAMIA_SHARED_DATA.");
    return 2;
}

BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args);
return 0;
