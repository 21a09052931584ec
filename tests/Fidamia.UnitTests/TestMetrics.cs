using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Fidamia.UnitTests;

/// <summary>Meters for one test: disposed with it, and told apart from other tests' meters by listeners.</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly ConcurrentBag<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        _meters.Add(meter);
        return meter;
    }

    public bool Owns(Meter meter) => _meters.Contains(meter);

    public void Dispose()
    {
        foreach (var meter in _meters)
        {
            meter.Dispose();
        }
    }
}

/// <summary>Records one integer histogram of one factory's meters (tests run in parallel, each with its own).</summary>
internal sealed class HistogramListener : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<int> _values = new();

    public HistogramListener(TestMeterFactory factory, string instrument)
    {
        _listener.InstrumentPublished = (i, listener) =>
        {
            if (i.Name == instrument && factory.Owns(i.Meter))
            {
                listener.EnableMeasurementEvents(i);
            }
        };
        _listener.SetMeasurementEventCallback<int>((_, value, _, _) => _values.Enqueue(value));
        _listener.Start();
    }

    public IReadOnlyList<int> Values => [.. _values];

    public void Dispose() => _listener.Dispose();
}
