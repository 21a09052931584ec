using Fidamia.Core.Scoring;

namespace Fidamia.Core.Models;

/// <summary>
/// A loaded model version with the scorer of its feature space. Reference-counted: whoever keeps the version loaded holds
/// one reference and each request holds one while it runs, and the model is disposed when the last is let go. So
/// requests already running on a version finish on it whatever is swapped or unloaded meanwhile.
/// </summary>
public sealed class ServedModel(IImageModel model, IImageScorer scorer)
{
    private int _references = 1;
    private long _requests;

    public IImageModel Model { get; } = model;

    public ModelDescriptor Descriptor => Model.Descriptor;

    /// <summary>Turns the model's output into evidence: the prototype memory of its feature space, or a classifier's head.</summary>
    public IImageScorer Scorer { get; } = scorer;

    /// <summary>Requests that ran on it while it was live.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Whether the last reference is gone (the model disposed).</summary>
    public bool Released => Volatile.Read(ref _references) == 0;

    /// <summary>Takes a reference unless the last one is already gone.</summary>
    public bool TryAcquire()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    /// <summary>Lets go of one reference; the last disposes the model.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            (Model as IDisposable)?.Dispose();
        }
    }

    internal void Counted() => Interlocked.Increment(ref _requests);
}

/// <summary>
/// The version that takes new requests. A swap is one reference exchange: requests that took the old version keep it
/// until they end, new ones take the new one; nothing waits and nothing fails.
/// </summary>
public sealed class LiveModel(ServedModel initial)
{
    private ServedModel _current = initial;

    public ServedModel Current => Volatile.Read(ref _current);

    /// <summary>The live version, held until the lease is disposed.</summary>
    public Lease Acquire()
    {
        while (true)
        {
            var current = Current;
            if (current.TryAcquire())
            {
                current.Counted();
                return new Lease(current);
            }

            if (ReferenceEquals(current, Current))
            {
                throw new InvalidOperationException($"the live model {current.Descriptor.Name} {current.Descriptor.Version} was released while live");
            }
        }
    }

    /// <summary>Makes <paramref name="next"/> live; returns the version it replaces. References are the caller's to keep or let go.</summary>
    public ServedModel Swap(ServedModel next) => Interlocked.Exchange(ref _current, next);

    /// <summary>A request's hold on a version.</summary>
    public readonly struct Lease(ServedModel served) : IDisposable
    {
        public ServedModel Served { get; } = served;

        public void Dispose() => Served.Release();
    }
}
