using System.Buffers;
using System.Diagnostics;
using Fidamia.Core.Diagnostics;
using Fidamia.Core.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fidamia.Core.Scheduling;

/// <summary>
/// Sits between the request handlers and the model, in the spirit of Triton's dynamic batcher:
/// requests queue here, dedicated threads take them in order, drop those whose caller has gone
/// (cancelled or past its deadline) before spending inference on them, and run the rest, in
/// batches when the model has a dynamic batch dimension or as concurrent single runs when it
/// does not. The queue's bound is kept by <see cref="PhotoAdmission"/>, before decoding. Each request names the model
/// version it runs on (the one live when it was admitted), so a swap changes nothing for requests already queued; a
/// batch holds requests of one version.
/// </summary>
public sealed class InferenceScheduler : IDisposable
{
    private readonly IImageModel _model;
    private readonly FidamiaMetrics _metrics;
    private readonly ILogger<InferenceScheduler> _logger;
    private readonly Queue<Request> _queue = new();
    private readonly object _gate = new(); // Monitor.Wait/Pulse need a monitor, not a Lock
    private readonly Thread[] _workers;
    private readonly long _maxDelayTicks;
    private readonly int _configuredBatchSize;
    private bool _stopping;

    public InferenceScheduler(IImageModel model, IOptions<SchedulerOptions> options, FidamiaMetrics metrics, ILogger<InferenceScheduler> logger)
    {
        _model = model;
        _metrics = metrics;
        _logger = logger;
        var settings = options.Value;
        _configuredBatchSize = settings.MaxBatchSize;
        MaxBatchSize = BatchSizeOf(model);
        _maxDelayTicks = settings.MaxQueueDelayMicroseconds * Stopwatch.Frequency / 1_000_000;
        ConcurrentRuns = settings.MaxConcurrentRuns;
        _workers = new Thread[ConcurrentRuns];
        for (var i = 0; i < _workers.Length; i++)
        {
            // Own threads, not the thread pool: a run blocks its thread for tens of milliseconds,
            // and the pool's threads are the ones decoding the next photos.
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"fidamia-inference-{i}" };
            _workers[i].Start();
        }

        Log.SchedulerStarted(logger, ConcurrentRuns, MaxBatchSize, settings.MaxQueueDelayMicroseconds);
    }

    /// <summary>The largest batch a run of the model the scheduler started with gets: the configured one, capped by the model's.</summary>
    public int MaxBatchSize { get; }

    public int ConcurrentRuns { get; }

    /// <summary>
    /// Queues one input tensor and completes when the model's output is in <paramref name="output"/>.
    /// The caller keeps both buffers untouched until the task completes; a cancelled request
    /// completes at once if it has not started running, and is then never run.
    /// </summary>
    public Task InferAsync(Memory<float> input, Memory<float> output, CancellationToken cancellationToken) =>
        InferAsync(_model, input, output, cancellationToken);

    /// <inheritdoc cref="InferAsync(Memory{float}, Memory{float}, CancellationToken)"/>
    /// <param name="model">The version to run on; it must stay undisposed until the task completes.</param>
    public Task InferAsync(IImageModel model, Memory<float> input, Memory<float> output, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var request = new Request(model, input, output, _metrics, cancellationToken);
        request.ListenForCancellation();
        lock (_gate)
        {
            if (_stopping)
            {
                request.Fail(new ObjectDisposedException(nameof(InferenceScheduler)));
                return request.Task;
            }

            _queue.Enqueue(request);
            _metrics.QueueChanged(+1);
            Monitor.PulseAll(_gate);
        }

        return request.Task;
    }

    /// <summary>Refuses new requests, runs those already queued, then stops the threads.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        foreach (var worker in _workers)
        {
            worker.Join(TimeSpan.FromSeconds(30));
        }

        lock (_gate)
        {
            while (_queue.TryDequeue(out var request))
            {
                if (request.TryClaim())
                {
                    request.Fail(new OperationCanceledException("the service is stopping"));
                }
            }
        }
    }

    private void Work()
    {
        var batch = new List<Request>(MaxBatchSize);
        while (true)
        {
            lock (_gate)
            {
                while (batch.Count == 0)
                {
                    TakeLive(batch);
                    if (batch.Count == 0)
                    {
                        // Stopping drains the queue first: what was accepted is answered.
                        if (_stopping)
                        {
                            return;
                        }

                        Monitor.Wait(_gate);
                    }
                }

                var most = BatchSizeOf(batch[0].Model);
                if (batch.Count < most && _maxDelayTicks > 0)
                {
                    var deadline = Stopwatch.GetTimestamp() + _maxDelayTicks;
                    while (batch.Count < most && !_stopping)
                    {
                        var remaining = deadline - Stopwatch.GetTimestamp();
                        if (remaining <= 0)
                        {
                            break;
                        }

                        Monitor.Wait(_gate, TimeSpan.FromTicks(Math.Max(1, remaining * TimeSpan.TicksPerSecond / Stopwatch.Frequency)));
                        TakeLive(batch);
                    }
                }
            }

            if (batch.Count == 1)
            {
                RunOne(batch[0]);
            }
            else
            {
                RunBatch(batch);
            }

            batch.Clear();
        }
    }

    private int BatchSizeOf(IImageModel model) => Math.Max(1, Math.Min(_configuredBatchSize, model.Descriptor.MaxBatchSize));

    /// <summary>
    /// Moves queued requests into the batch, skipping those whose caller has gone; a request for another model version
    /// than the batch's ends the batch. Called under the lock.
    /// </summary>
    private void TakeLive(List<Request> batch)
    {
        while (_queue.TryPeek(out var next)
               && (batch.Count == 0 || (ReferenceEquals(next.Model, batch[0].Model) && batch.Count < BatchSizeOf(batch[0].Model))))
        {
            var request = _queue.Dequeue();
            _metrics.QueueChanged(-1);
            if (request.TryClaim())
            {
                batch.Add(request);
            }
            else
            {
                _metrics.RequestDropped("cancelled");
            }
        }
    }

    private void RunOne(Request request)
    {
        var started = Stopwatch.GetTimestamp();
        using var span = FidamiaMetrics.StartStage("infer", request.Parent);
        span?.SetTag("fidamia.batch_size", 1);
        try
        {
            // Alone in its run, the request's own cancellation can stop ONNX Runtime mid-run.
            request.Model.Run(request.Input, 1, request.Output.Span, request.CancellationToken);
            Ran(1, started);
            request.Complete();
        }
        catch (Exception ex)
        {
            request.Fail(ex);
        }
    }

    private void RunBatch(List<Request> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var model = batch[0].Model;
        var inputLength = model.Descriptor.Input.Length;
        var outputLength = model.Descriptor.OutputLength;
        var modelInput = ArrayPool<float>.Shared.Rent(batch.Count * inputLength);
        var modelOutput = ArrayPool<float>.Shared.Rent(batch.Count * outputLength);

        // One run for several requests: each request's trace gets the run as its own span.
        var spans = batch.Select(r => FidamiaMetrics.StartStage("infer", r.Parent)?.SetTag("fidamia.batch_size", batch.Count)).ToList();
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Input.Span.CopyTo(modelInput.AsSpan(i * inputLength, inputLength));
            }

            // Shared by several callers, a batch runs to the end even if one of them gives up.
            model.Run(modelInput.AsMemory(0, batch.Count * inputLength), batch.Count, modelOutput.AsSpan(0, batch.Count * outputLength), CancellationToken.None);
            Ran(batch.Count, started);
            for (var i = 0; i < batch.Count; i++)
            {
                modelOutput.AsSpan(i * outputLength, outputLength).CopyTo(batch[i].Output.Span);
                batch[i].Complete();
            }
        }
        catch (Exception ex)
        {
            Log.BatchFailed(_logger, batch.Count, ex);
            batch.ForEach(r => r.Fail(ex));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(modelInput);
            ArrayPool<float>.Shared.Return(modelOutput);
            spans.ForEach(span => span?.Dispose());
        }
    }

    private void Ran(int batchSize, long started)
    {
        _metrics.BatchRan(batchSize);
        _metrics.StageCompleted("infer", Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private sealed class Request(IImageModel model, Memory<float> input, Memory<float> output, FidamiaMetrics metrics, CancellationToken cancellationToken)
    {
        private const int Queued = 0;
        private const int Claimed = 1;
        private const int Abandoned = 2;

        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly long _queuedAt = Stopwatch.GetTimestamp();
        private readonly DateTimeOffset _queuedAtUtc = DateTimeOffset.UtcNow;
        private CancellationTokenRegistration _registration;
        private int _state;

        public IImageModel Model { get; } = model;

        /// <summary>The caller's span: the scheduler's threads put the wait and the run under it.</summary>
        public ActivityContext Parent { get; } = Activity.Current?.Context ?? default;

        public Memory<float> Input { get; } = input;

        public Memory<float> Output { get; } = output;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public Task Task => _completion.Task;

        public void ListenForCancellation() =>
            _registration = CancellationToken.Register(static state => ((Request)state!).Abandon(), this);

        /// <summary>Takes the request for a run; false when its caller has already gone.</summary>
        public bool TryClaim()
        {
            if (Interlocked.CompareExchange(ref _state, Claimed, Queued) != Queued)
            {
                return false;
            }

            metrics.StageCompleted("queue", Stopwatch.GetElapsedTime(_queuedAt).TotalSeconds);
            FidamiaMetrics.StartStage("queue", Parent, _queuedAtUtc)?.Dispose();
            return true;
        }

        public void Complete()
        {
            _registration.Dispose();
            _completion.TrySetResult();
        }

        public void Fail(Exception exception)
        {
            _registration.Dispose();
            if (exception is OperationCanceledException && CancellationToken.IsCancellationRequested)
            {
                _completion.TrySetCanceled(CancellationToken);
            }
            else
            {
                _completion.TrySetException(exception);
            }
        }

        // Only a request still waiting is answered here: a running one owns the caller's buffers until its run ends.
        private void Abandon()
        {
            if (Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued)
            {
                _completion.TrySetCanceled(CancellationToken);
            }
        }
    }
}
