using BenchmarkDotNet.Running;
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

BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args);
return 0;
