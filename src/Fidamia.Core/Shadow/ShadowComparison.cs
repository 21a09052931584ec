namespace Fidamia.Core.Shadow;

/// <summary>Per label: how often the candidate agreed with the live model, and how each did against operators.</summary>
/// <param name="Compared">Samples whose live label was this one.</param>
/// <param name="Agreed">Of those, how many the candidate labelled the same.</param>
/// <param name="Resolved">Shadowed reports operators then labelled with this label.</param>
/// <param name="LiveRight">Of those, how many the live model had labelled so.</param>
/// <param name="CandidateRight">Of those, how many the candidate had labelled so.</param>
public sealed record ShadowLabelCounts(string Label, long Compared, long Agreed, long Resolved, long LiveRight, long CandidateRight)
{
    public double? Agreement => Compared > 0 ? Agreed / (double)Compared : null;
}

/// <summary>What a shadow comparison has counted so far.</summary>
public sealed record ShadowCounts(
    long Compared, long Agreed, long Resolved, long LiveRight, long CandidateRight, IReadOnlyList<ShadowLabelCounts> Labels,
    IReadOnlyDictionary<(string Live, string Candidate), long> Confusion)
{
    public double? Agreement => Compared > 0 ? Agreed / (double)Compared : null;

    public double? LiveAccuracy => Resolved > 0 ? LiveRight / (double)Resolved : null;

    public double? CandidateAccuracy => Resolved > 0 ? CandidateRight / (double)Resolved : null;
}

/// <summary>
/// Counts how a candidate model's labels compare with the live model's on the same reports, and, once operators resolve
/// some of them, how each did against the human label. Pure bookkeeping, thread-safe; it remembers the labels of the
/// last <c>remember</c> shadowed reports for the operators' decisions to come, and forgets older ones first.
/// </summary>
public sealed class ShadowComparison(int remember = 10_000)
{
    /// <summary>How a report without a label (nothing stood out) is counted.</summary>
    public const string NoLabel = "(none)";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Counts> _labels = new(StringComparer.Ordinal);
    private readonly Dictionary<(string, string), long> _confusion = [];
    private readonly Dictionary<string, (string Live, string Candidate)> _pending = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public void Record(string reportId, string? live, string? candidate)
    {
        var (l, c) = (live ?? NoLabel, candidate ?? NoLabel);
        lock (_gate)
        {
            var counts = CountsOf(l);
            counts.Compared++;
            if (l == c)
            {
                counts.Agreed++;
            }

            _confusion[(l, c)] = _confusion.GetValueOrDefault((l, c)) + 1;
            if (_pending.TryAdd(reportId, (l, c)))
            {
                _order.Enqueue(reportId);
                while (_order.Count > remember)
                {
                    _pending.Remove(_order.Dequeue());
                }
            }
        }
    }

    /// <summary>An operator labelled a report; counts it when it was shadowed (once). True when it was.</summary>
    public bool Resolve(string reportId, string humanLabel)
    {
        lock (_gate)
        {
            if (!_pending.Remove(reportId, out var labels))
            {
                return false;
            }

            var counts = CountsOf(humanLabel);
            counts.Resolved++;
            counts.LiveRight += labels.Live == humanLabel ? 1 : 0;
            counts.CandidateRight += labels.Candidate == humanLabel ? 1 : 0;
            return true;
        }
    }

    public ShadowCounts Snapshot()
    {
        lock (_gate)
        {
            var labels = _labels.OrderBy(l => l.Key, StringComparer.Ordinal)
                .Select(l => new ShadowLabelCounts(l.Key, l.Value.Compared, l.Value.Agreed, l.Value.Resolved, l.Value.LiveRight, l.Value.CandidateRight))
                .ToList();
            return new ShadowCounts(
                labels.Sum(l => l.Compared), labels.Sum(l => l.Agreed), labels.Sum(l => l.Resolved), labels.Sum(l => l.LiveRight),
                labels.Sum(l => l.CandidateRight), labels, new Dictionary<(string, string), long>(_confusion));
        }
    }

    private Counts CountsOf(string label)
    {
        if (!_labels.TryGetValue(label, out var counts))
        {
            counts = new Counts();
            _labels[label] = counts;
        }

        return counts;
    }

    private sealed class Counts
    {
        public long Compared;
        public long Agreed;
        public long Resolved;
        public long LiveRight;
        public long CandidateRight;
    }
}
