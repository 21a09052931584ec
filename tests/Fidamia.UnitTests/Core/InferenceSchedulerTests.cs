using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Errors;
using Fidamia.Core.Imaging;
using Fidamia.Core.Models;
using Fidamia.Core.Scheduling;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public sealed class InferenceSchedulerTests : IDisposable
{
    private const int InputLength = 3 * 2 * 2;
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        _disposables.Reverse();
        _disposables.ForEach(d => d.Dispose());
    }

    [Fact]
    public async Task InferAsync_FixedBatchModel_RunsConcurrentSingleRuns()
    {
        var model = new RecordingModel(maxBatchSize: 1) { Gate = new ManualResetEventSlim(false) };
        var scheduler = Scheduler(model, new SchedulerOptions { MaxConcurrentRuns = 2, MaxBatchSize = 8 });

        var requests = Enumerable.Range(1, 3).Select(i => Submit(scheduler, i)).ToList();
        Assert.True(SpinWait.SpinUntil(() => model.Running == 2, TimeSpan.FromSeconds(10)), "two runs should overlap");
        model.Gate.Set();
        await Task.WhenAll(requests.Select(r => r.Task));

        Assert.Equal(2, model.MaxRunning);
        Assert.All(model.BatchSizes, size => Assert.Equal(1, size));
        Assert.All(requests, r => Assert.Equal(2 * r.Value, r.Output[0]));
    }

    [Fact]
    public async Task InferAsync_DynamicBatchModel_BatchesWhatQueuedDuringARunAndKeepsEachOutputWithItsInput()
    {
        var model = new RecordingModel(maxBatchSize: 64) { Gate = new ManualResetEventSlim(false) };
        var scheduler = Scheduler(model, new SchedulerOptions { MaxConcurrentRuns = 1, MaxBatchSize = 4 });

        var first = Submit(scheduler, 1);
        Assert.True(SpinWait.SpinUntil(() => model.Running == 1, TimeSpan.FromSeconds(10)));
        var queued = Enumerable.Range(2, 5).Select(i => Submit(scheduler, i)).ToList();
        model.Gate.Set();
        await Task.WhenAll(queued.Select(r => r.Task).Append(first.Task));

        Assert.Equal([1, 4, 1], model.BatchSizes);
        Assert.Equal(4, scheduler.MaxBatchSize);
        Assert.All(queued.Append(first), r => Assert.Equal(2 * r.Value, r.Output[0]));
    }

    [Fact]
    public async Task InferAsync_TwoModelVersionsQueued_EachBatchHoldsOneVersion_EachRequestRunsOnItsOwn()
    {
        // A swap leaves requests of the old version queued beside those of the new one.
        var old = new RecordingModel(maxBatchSize: 64) { Gate = new ManualResetEventSlim(false) };
        var next = new RecordingModel(maxBatchSize: 64);
        var scheduler = Scheduler(old, new SchedulerOptions { MaxConcurrentRuns = 1, MaxBatchSize = 8 });

        var first = Submit(scheduler, 1);
        Assert.True(SpinWait.SpinUntil(() => old.Running == 1, TimeSpan.FromSeconds(10)));
        var queued = new[] { (old, 2), (next, 3), (next, 4), (old, 5), (next, 6) }.Select(q => (q.Item1, Submitted: Submit(scheduler, q.Item2, model: q.Item1))).ToList();
        old.Gate.Set();
        await Task.WhenAll(queued.Select(q => q.Submitted.Task).Append(first.Task));

        Assert.Equal([1f, 2, 5], old.FirstValues.Order());
        Assert.Equal([3f, 4, 6], next.FirstValues.Order());
        Assert.Equal(3, old.BatchSizes.Sum());
        Assert.Equal(3, next.BatchSizes.Sum());
        Assert.All(queued, q => Assert.Equal(2 * q.Submitted.Value, q.Submitted.Output[0]));
    }

    [Fact]
    public async Task InferAsync_MaxBatchSizeAboveTheModels_IsCappedByTheModel()
    {
        var model = new RecordingModel(maxBatchSize: 2) { Gate = new ManualResetEventSlim(false) };
        var scheduler = Scheduler(model, new SchedulerOptions { MaxConcurrentRuns = 1, MaxBatchSize = 16 });

        var first = Submit(scheduler, 1);
        Assert.True(SpinWait.SpinUntil(() => model.Running == 1, TimeSpan.FromSeconds(10)));
        var queued = Enumerable.Range(2, 3).Select(i => Submit(scheduler, i)).ToList();
        model.Gate.Set();
        await Task.WhenAll(queued.Select(r => r.Task).Append(first.Task));

        Assert.Equal(2, scheduler.MaxBatchSize);
        Assert.Equal([1, 2, 1], model.BatchSizes);
    }

    [Fact]
    public async Task InferAsync_QueueDelay_WaitsForALaterRequestToFillTheBatch()
    {
        // A long delay: the first request can only complete by being batched with the second.
        var model = new RecordingModel(maxBatchSize: 8);
        var scheduler = Scheduler(model, new SchedulerOptions { MaxConcurrentRuns = 1, MaxBatchSize = 2, MaxQueueDelayMicroseconds = 10_000_000 });

        var first = Submit(scheduler, 1);
        Assert.False(first.Task.IsCompleted);
        var second = Submit(scheduler, 2);
        await Task.WhenAll(first.Task, second.Task);

        Assert.Equal([2], model.BatchSizes);
    }

    [Fact]
    public async Task InferAsync_CancelledWhileQueued_CompletesAtOnceAndIsNeverRun()
    {
        var model = new RecordingModel(maxBatchSize: 1) { Gate = new ManualResetEventSlim(false) };
        var scheduler = Scheduler(model, new SchedulerOptions { MaxConcurrentRuns = 1 });
        using var cts = new CancellationTokenSource();

        var running = Submit(scheduler, 1);
        Assert.True(SpinWait.SpinUntil(() => model.Running == 1, TimeSpan.FromSeconds(10)));
        var abandoned = Submit(scheduler, 2, cancellationToken: cts.Token);
        var after = Submit(scheduler, 3);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned.Task);
        Assert.False(running.Task.IsCompleted);
        model.Gate.Set();
        await Task.WhenAll(running.Task, after.Task);

        Assert.Equal([1f, 3f], model.FirstValues.Order());
        Assert.Equal(0f, abandoned.Output[0]);
    }

    [Fact]
    public async Task InferAsync_AlreadyCancelled_ThrowsWithoutQueueing()
    {
        var model = new RecordingModel(maxBatchSize: 1);
        var scheduler = Scheduler(model, new SchedulerOptions());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Submit(scheduler, 1, cancellationToken: new CancellationToken(canceled: true)).Task);

        Assert.Empty(model.BatchSizes);
    }

    [Fact]
    public async Task InferAsync_ModelFails_FailsThatRequestAndKeepsServing()
    {
        var model = new RecordingModel(maxBatchSize: 1) { FailOn = 1 };
        var scheduler = Scheduler(model, new SchedulerOptions());

        await Assert.ThrowsAsync<InvalidOperationException>(() => Submit(scheduler, 1).Task);
        var next = Submit(scheduler, 2);
        await next.Task;

        Assert.Equal(4f, next.Output[0]);
    }

    [Fact]
    public void Enter_BeyondCapacity_RefusesWithARetryHintUntilATicketIsReturned()
    {
        var options = Options.Create(new SchedulerOptions { MaxConcurrentDecodes = 1, MaxConcurrentRuns = 1, MaxQueuedRequests = 1 });
        var scheduler = Scheduler(new RecordingModel(maxBatchSize: 1), options.Value);
        var admission = new PhotoAdmission(options, scheduler, Metrics());

        var tickets = Enumerable.Range(0, 3).Select(_ => admission.Enter()).ToList();
        var refused = Assert.Throws<CapacityExceededException>(admission.Enter);
        tickets[0].Dispose();
        using var again = admission.Enter();

        Assert.Equal(3, admission.Capacity);
        Assert.InRange(refused.RetryAfter, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        tickets.ForEach(t => t.Dispose());
        Assert.Equal(1, admission.InFlight);
    }

    [Fact]
    public async Task Dispose_WithQueuedRequests_RunsThemBeforeStoppingAndRefusesNewOnes()
    {
        var model = new RecordingModel(maxBatchSize: 1) { Gate = new ManualResetEventSlim(false) };
        var scheduler = new InferenceScheduler(model, Options.Create(new SchedulerOptions()), Metrics(), NullLogger<InferenceScheduler>.Instance);
        var running = Submit(scheduler, 1);
        Assert.True(SpinWait.SpinUntil(() => model.Running == 1, TimeSpan.FromSeconds(10)));
        var queued = Submit(scheduler, 2);

        var disposing = Task.Run(scheduler.Dispose);
        model.Gate.Set();
        await disposing.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(running.Task.IsCompletedSuccessfully);
        Assert.True(queued.Task.IsCompletedSuccessfully);
        Assert.Equal([1f, 2f], model.FirstValues);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => Submit(scheduler, 3).Task);
    }

    private InferenceScheduler Scheduler(IImageModel model, SchedulerOptions options)
    {
        var scheduler = new InferenceScheduler(model, Options.Create(options), Metrics(), NullLogger<InferenceScheduler>.Instance);
        _disposables.Add(scheduler);
        return scheduler;
    }

    private FidamiaMetrics Metrics()
    {
        var factory = new TestMeterFactory();
        _disposables.Add(factory);
        return new FidamiaMetrics(factory);
    }

    private static Submitted Submit(InferenceScheduler scheduler, int value, IImageModel? model = null, CancellationToken cancellationToken = default)
    {
        var input = new float[InputLength];
        input.AsSpan().Fill(value);
        var output = new float[1];
        Task task;
        try
        {
            task = model is null ? scheduler.InferAsync(input, output, cancellationToken) : scheduler.InferAsync(model, input, output, cancellationToken);
        }
        catch (Exception ex)
        {
            task = Task.FromException(ex);
        }

        return new Submitted(value, output, task);
    }

    private sealed record Submitted(int Value, float[] Output, Task Task);

    /// <summary>Doubles the first value of each image; records every run.</summary>
    private sealed class RecordingModel(int maxBatchSize) : IImageModel
    {
        private readonly ConcurrentQueue<int> _batchSizes = new();
        private readonly ConcurrentQueue<float> _firstValues = new();
        private int _running;
        private int _maxRunning;
        private int _runs;

        public ManualResetEventSlim? Gate { get; init; }

        /// <summary>The 1-based run that throws.</summary>
        public int FailOn { get; init; }

        public int Running => Volatile.Read(ref _running);

        public int MaxRunning => Volatile.Read(ref _maxRunning);

        public int[] BatchSizes => [.. _batchSizes];

        public float[] FirstValues => [.. _firstValues];

        public ModelDescriptor Descriptor { get; } = new(
            "recording", "1", ModelKind.Embedding,
            new TensorSpec(2, 2, ColorOrder.Rgb, 1, [0, 0, 0], [1, 1, 1], ResizeMode.Stretch),
            ModelOutputKind.Embedding, 1, [], new Dictionary<string, double>(), 1, maxBatchSize);

        public void Run(Memory<float> input, int batchSize, Span<float> output, CancellationToken cancellationToken)
        {
            var running = Interlocked.Increment(ref _running);
            InterlockedMax(ref _maxRunning, running);
            try
            {
                Gate?.Wait(TimeSpan.FromSeconds(30), cancellationToken);
                if (Interlocked.Increment(ref _runs) == FailOn)
                {
                    throw new InvalidOperationException("model failure");
                }

                _batchSizes.Enqueue(batchSize);
                for (var i = 0; i < batchSize; i++)
                {
                    var first = input.Span[i * InputLength];
                    _firstValues.Enqueue(first);
                    output[i] = 2 * first;
                }
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int current;
            while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }
}
