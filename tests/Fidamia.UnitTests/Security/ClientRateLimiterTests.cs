using Fidamia.Core.Errors;
using Fidamia.Core.Security;
using Fidamia.Server.Security;
using Microsoft.Extensions.Options;

namespace Fidamia.UnitTests.Security;

public class ClientRateLimiterTests
{
    private static Caller Client(string subject) => new(subject, new HashSet<string>());

    [Fact]
    public void PastItsBurst_AClientIsRefusedWithARetryDelay_WhileAnotherIsNot()
    {
        // One call a second refills a bucket of two: the third call at once finds it empty (a refill is a second away).
        using var limiter = new ClientRateLimiter(Options.Create(new RateLimitOptions { PerClientPerSecond = 1, Burst = 2 }));

        limiter.Take(Client("back-office"));
        limiter.Take(Client("back-office"));
        var refused = Assert.Throws<CapacityExceededException>(() => limiter.Take(Client("back-office")));
        limiter.Take(Client("operator-1"));

        Assert.InRange(refused.RetryAfter, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        Assert.Contains("at most 1 a second", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CallersWithoutAToken_ShareOneBucket_AndZeroMeansNoLimit()
    {
        using var limited = new ClientRateLimiter(Options.Create(new RateLimitOptions { PerClientPerSecond = 1, Burst = 1 }));
        using var unlimited = new ClientRateLimiter(Options.Create(new RateLimitOptions { PerClientPerSecond = 0, Burst = 1 }));

        limited.Take(Caller.Anonymous);
        Assert.Throws<CapacityExceededException>(() => limited.Take(Caller.AnonymousWith(new HashSet<string> { Roles.Triage })));
        for (var i = 0; i < 1000; i++)
        {
            unlimited.Take(Client("back-office"));
        }
    }
}
