using Fidamia.Protos.V1;
using Fidamia.Tests;
using Google.Rpc;
using Grpc.Core;

namespace Fidamia.IntegrationTests;

/// <summary>Overload over a real gRPC channel: refusals are quick and explicit, and nothing accepted is lost.</summary>
public class SchedulerEndToEndTests
{
    [SharedDataFact]
    public async Task Triage_MoreConcurrentReportsThanCapacity_RefusesTheExtraWithRetryInfoAndAnswersTheRest()
    {
        // Capacity two photos: one decoding, one in the model, no queue.
        await using var server = await ServerProcess.StartAsync(
            $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}",
            "--Scheduler:MaxConcurrentDecodes=1",
            "--Scheduler:MaxConcurrentRuns=1",
            "--Scheduler:MaxQueuedRequests=0");
        var photo = TestPhotos.Shared("leuvenA.jpg");
        var requests = Enumerable.Range(0, 16).Select(_ => Requests.Report(photo)).ToList();

        var outcomes = await Task.WhenAll(requests.Select(async request =>
        {
            try
            {
                return (Request: request, Response: await server.Client.TriageAsync(request), Error: (RpcException?)null);
            }
            catch (RpcException ex)
            {
                return (Request: request, Response: (TriageResponse?)null, Error: ex);
            }
        }));

        var refused = outcomes.Where(o => o.Error is not null).ToList();
        Assert.NotEmpty(refused);
        Assert.Contains(outcomes, o => o.Response is not null);
        Assert.All(refused, o =>
        {
            Assert.Equal(StatusCode.ResourceExhausted, o.Error!.StatusCode);
            var retry = o.Error.GetRpcStatus()?.GetDetail<RetryInfo>();
            Assert.NotNull(retry);
            Assert.InRange(retry.RetryDelay.ToTimeSpan(), TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30));
        });
        Assert.All(outcomes.Where(o => o.Response is not null), o => Assert.Equal(o.Request.ReportId, o.Response!.ReportId));

        // A refused report was not half-accepted: the same id, retried, is triaged normally.
        foreach (var (request, _, _) in refused)
        {
            var retried = await server.Client.TriageAsync(request);
            Assert.Equal(request.ReportId, retried.ReportId);
        }
    }

    [SharedDataFact]
    public async Task Triage_DeadlineAlreadyPassed_IsDeadlineExceededAndTheServiceGoesOn()
    {
        await using var server = await ServerProcess.StartAsync($"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}");
        var photo = TestPhotos.Shared("leuvenA.jpg");

        var late = await Assert.ThrowsAsync<RpcException>(() =>
            server.Client.TriageAsync(Requests.Report(photo), deadline: DateTime.UtcNow.AddMilliseconds(1)).ResponseAsync);
        var next = await server.Client.TriageAsync(Requests.Report(photo));

        Assert.Equal(StatusCode.DeadlineExceeded, late.StatusCode);
        Assert.Equal("jpeg", next.Photo.Format);
    }
}
