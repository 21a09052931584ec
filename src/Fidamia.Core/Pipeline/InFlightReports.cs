using System.Collections.Concurrent;

namespace Fidamia.Core.Pipeline;

/// <summary>
/// The reports being triaged in this process, by id, so that concurrent calls with one id do the work once. An entry
/// lives only while its report is worked on: once stored, the store answers repeats, and a failed attempt may be retried.
/// </summary>
internal sealed class InFlightReports
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>Returns the entry for the id, or adds <paramref name="fresh"/> and returns it (then <paramref name="added"/> is true).</summary>
    public Entry GetOrAdd(string reportId, Entry fresh, out bool added)
    {
        var entry = _entries.GetOrAdd(reportId, fresh);
        added = ReferenceEquals(entry, fresh);
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
