using Fidamia.Core.Scheduling;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Core;

public class PhotoBytesBudgetTests
{
    private static PhotoBytesBudget Budget(long capacity) =>
        new(Options.Create(new SchedulerOptions { MaxPhotoBytesInFlight = capacity }), new Fidamia.Core.Diagnostics.FidamiaMetrics(new TestMeterFactory()));

    [Fact]
    public void RequestsAreAdmittedUntilTheirBytesWouldPassTheCapacity_AndReleasingMakesRoom()
    {
        var budget = Budget(100);

        Assert.True(budget.TryReserve(40));
        Assert.True(budget.TryReserve(60));
        Assert.False(budget.TryReserve(1));
        budget.Release(40);
        Assert.True(budget.TryReserve(30));
        Assert.False(budget.TryReserve(11));
        Assert.Equal(90, budget.InFlight);
    }

    [Fact]
    public void ARequestAlone_AlwaysFits_EvenOverTheCapacity()
    {
        var budget = Budget(100);

        Assert.True(budget.TryReserve(150));
        Assert.False(budget.TryReserve(1));
        budget.Release(150);
        Assert.Equal(0, budget.InFlight);
    }

    [Fact]
    public async Task ConcurrentCallers_NeverHoldMoreThanTheCapacity()
    {
        var budget = Budget(1000);
        long peak = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                if (budget.TryReserve(300))
                {
                    var now = budget.InFlight;
                    long seen;
                    while ((seen = Interlocked.Read(ref peak)) < now && Interlocked.CompareExchange(ref peak, now, seen) != seen)
                    {
                    }

                    budget.Release(300);
                }
            }
        })));

        Assert.InRange(peak, 300, 900);
        Assert.Equal(0, budget.InFlight);
    }
}
