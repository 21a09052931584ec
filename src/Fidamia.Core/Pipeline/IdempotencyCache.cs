using System.Collections.Concurrent;

namespace Fidamia.Core.Pipeline;

/// <summary>
/// Remembers recent decisions by report id so a repeated call gets the same answer without
/// redoing the work, and so concurrent calls with one id do the work once. A failed attempt
/// is forgotten, so the caller may retry. Bounded: the oldest ids are evicted first.
/// </summary>
internal sealed class IdempotencyCache(int capacity)
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>Returns the entry for the id, or adds <paramref name="fresh"/> and returns it (then <paramref name="added"/> is true).</summary>
    public Entry GetOrAdd(string reportId, Entry fresh, out bool added)
    {
        if (capacity == 0)
        {
            added = true;
            return fresh;
        }

        var entry = _entries.GetOrAdd(reportId, fresh);
        added = ReferenceEquals(entry, fresh);
        if (added)
        {
            _order.Enqueue(reportId);
            while (_entries.Count > capacity && _order.TryDequeue(out var oldest))
            {
                _entries.TryRemove(oldest, out _);
            }
        }

        return entry;
    }

    public void Forget(string reportId, Entry entry) =>
        _entries.TryRemove(new KeyValuePair<string, Entry>(reportId, entry));

    public sealed class Entry(byte[] fingerprint)
    {
        public byte[] Fingerprint { get; } = fingerprint;

        public TaskCompletionSource<TriageDecision> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
