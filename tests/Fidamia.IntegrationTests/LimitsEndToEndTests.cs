using Fidamia.Protos.V1;
using Fidamia.Tests;
using Grpc.Core;

namespace Fidamia.IntegrationTests;

/// <summary>gRPC's receive limit follows Imaging:MaxPhotoBytes: a much larger photo is refused before the handler runs, a slightly larger one by the decoder.</summary>
public class LimitsEndToEndTests
{
    [SharedDataFact]
    public async Task Triage_PhotoOverTheConfiguredLimit_IsResourceExhaustedAndTheServiceGoesOn()
    {
        await using var server = await ServerProcess.StartAsync(
            $"--Gis:Communes:Path={SharedData.Gis("amp-communes.geojson")}", "--Imaging:MaxPhotoBytes=300000");
        var small = TestPhotos.Shared("building.jpg"); // 80 KB
        var over = TestPhotos.Shared("leuvenA.jpg"); // 325 KB: over the limit, within gRPC's allowance for the other fields
        var large = TestPhotos.Shared("graf1.png"); // 951 KB: over gRPC's receive limit

        var tooLarge = await Assert.ThrowsAsync<RpcException>(() => server.Client.TriageAsync(Requests.Report(large)).ResponseAsync);
        var overLimit = await Assert.ThrowsAsync<RpcException>(() => server.Client.TriageAsync(Requests.Report(over)).ResponseAsync);
        var accepted = await server.Client.TriageAsync(Requests.Report(small));

        Assert.Equal(StatusCode.ResourceExhausted, tooLarge.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, overLimit.StatusCode);
        Assert.Contains("photo", overLimit.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("jpeg", accepted.Photo.Format);
    }
}
