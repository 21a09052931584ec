extern alias cli;

using System.Text.Json;
using cli::Fidamia.Cli.Bench;
using Fidamia.Core.Errors;

namespace Fidamia.UnitTests.Cli;

public class BenchReportTests
{
    private static BenchReport Report() => new()
    {
        Mode = "load",
        Server = "http://127.0.0.1:5080/",
        Photos = 3,
        DurationS = 20,
        WarmupS = 2,
        MaxRequests = 100,
        Levels =
        [
            new LevelResult
            {
                Concurrency = 4,
                Ok = 80,
                ElapsedS = 20,
                Rps = 4,
                P50Ms = 900,
                P95Ms = 1200,
                P99Ms = 1300,
                MaxMs = 1400,
                MeanMs = 950,
                Errors = new SortedDictionary<string, long>(StringComparer.Ordinal) { ["CANCELLED"] = 1, ["RESOURCE_EXHAUSTED"] = 12 },
            },
        ],
    };

    [Fact]
    public void ToJson_Level_HasSnakeCaseFieldsAndErrorsByStatus()
    {
        using var json = JsonDocument.Parse(Report().ToJson());
        var level = json.RootElement.GetProperty("levels")[0];

        Assert.Equal("load", json.RootElement.GetProperty("mode").GetString());
        Assert.Equal(3, json.RootElement.GetProperty("photos").GetInt32());
        Assert.Equal(900, level.GetProperty("p50_ms").GetDouble());
        Assert.Equal(12, level.GetProperty("errors").GetProperty("RESOURCE_EXHAUSTED").GetInt64());
        Assert.Equal(JsonValueKind.Null, level.GetProperty("cpu_s_per_request").ValueKind);
        Assert.False(json.RootElement.TryGetProperty("TotalOk", out _));
    }

    [Fact]
    public void ToTable_Level_IsOneRowWithItsErrors()
    {
        var lines = Report().ToTable().Split('\n');

        Assert.Equal(3, lines.Length);
        Assert.Contains("p50 ms", lines[1], StringComparison.Ordinal);
        Assert.Matches(@"^\s+4\s+80\s+4\.00\s+900\.0\s+1200\.0\s+1300\.0\s+1400\.0\s+CANCELLED:1 RESOURCE_EXHAUSTED:12$", lines[2]);
    }

    [Theory]
    [InlineData(typeof(InvalidReportException), "INVALID_ARGUMENT")]
    [InlineData(typeof(ReportConflictException), "ALREADY_EXISTS")]
    [InlineData(typeof(CapacityExceededException), "RESOURCE_EXHAUSTED")]
    [InlineData(typeof(OperationCanceledException), "CANCELLED")]
    [InlineData(typeof(TaskCanceledException), "CANCELLED")]
    [InlineData(typeof(InvalidOperationException), "INTERNAL")]
    public void StatusName_PipelineFailure_IsTheServersStatus(Type exceptionType, string expected)
    {
        Exception exception = exceptionType.Name switch
        {
            nameof(InvalidReportException) => new InvalidReportException("photo", "is corrupt"),
            nameof(ReportConflictException) => new ReportConflictException("used"),
            nameof(CapacityExceededException) => new CapacityExceededException("full", TimeSpan.FromSeconds(1)),
            _ => (Exception)Activator.CreateInstance(exceptionType)!,
        };

        Assert.Equal(expected, PipelineBench.StatusName(exception));
    }
}
