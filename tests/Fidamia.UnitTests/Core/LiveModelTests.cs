using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scoring;

namespace Fidamia.UnitTests.Core;

public class LiveModelTests
{
    [Fact]
    public void Swap_WhileARequestHoldsTheOldVersion_NewRequestsTakeTheNewOne_OldDisposedWhenTheLastLets_Go()
    {
        var (oldModel, newModel) = (new DisposableModel("1"), new DisposableModel("2"));
        var old = new ServedModel(oldModel, new NoScorer());
        var live = new LiveModel(old);
        var running = live.Acquire();

        var replaced = live.Swap(new ServedModel(newModel, new NoScorer()));
        replaced.Release(); // what an unload does: the manager lets go of its reference
        var disposedWhileRunning = oldModel.Disposed;
        using (var next = live.Acquire())
        {
            Assert.Equal("2", next.Served.Descriptor.Version);
        }

        running.Dispose();

        Assert.Same(old, replaced);
        Assert.False(disposedWhileRunning);
        Assert.True(oldModel.Disposed);
        Assert.True(old.Released);
        Assert.False(newModel.Disposed);
        Assert.Equal(1, old.Requests);
        Assert.Equal(1, live.Current.Requests);
    }

    [Fact]
    public async Task Acquire_ConcurrentWithSwapsAndUnloads_NeverHandsOutADisposedModel()
    {
        var first = new ServedModel(new DisposableModel("0"), new NoScorer());
        var live = new LiveModel(first);
        var handedDisposed = 0;
        using var done = new CancellationTokenSource();
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            while (!done.IsCancellationRequested)
            {
                using var lease = live.Acquire();
                if (((DisposableModel)lease.Served.Model).Disposed)
                {
                    Interlocked.Increment(ref handedDisposed);
                }
            }
        })).ToList();

        for (var i = 1; i <= 2000; i++)
        {
            live.Swap(new ServedModel(new DisposableModel(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), new NoScorer())).Release();
        }

        await done.CancelAsync();
        await Task.WhenAll(readers);

        Assert.Equal(0, handedDisposed);
        Assert.False(((DisposableModel)live.Current.Model).Disposed);
    }

    [Fact]
    public void Acquire_LiveVersionReleasedByMistake_ThrowsRatherThanSpinning()
    {
        var served = new ServedModel(new DisposableModel("1"), new NoScorer());
        var live = new LiveModel(served);
        served.Release();

        Assert.Throws<InvalidOperationException>(() => live.Acquire());
    }

    private sealed class NoScorer : IImageScorer
    {
        public ImageEvidence Score(ReadOnlySpan<float> modelOutput) => ImageEvidence.Uniform(2, "none");
    }

    private sealed class DisposableModel(string version) : IImageModel, IDisposable
    {
        private int _disposed;

        public bool Disposed => Volatile.Read(ref _disposed) == 1;

        public ModelDescriptor Descriptor { get; } = new(
            "m", version, ModelKind.Embedding, new TensorSpec(2, 2, ColorOrder.Rgb, 1, [0, 0, 0], [1, 1, 1], ResizeMode.Stretch),
            ModelOutputKind.Embedding, 1, [], new Dictionary<string, double>(), 1);

        public void Run(Memory<float> input, int batchSize, Span<float> output, CancellationToken cancellationToken)
        {
        }

        public void Dispose() => Interlocked.Exchange(ref _disposed, 1);
    }
}
