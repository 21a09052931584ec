using System.Diagnostics;
using System.Net;
using System.Text;
using Fidamia.Tests;
using Grpc.Core;

namespace Fidamia.IntegrationTests;

/// <summary>
/// Traces leave the real server over OTLP (HTTP, protobuf) to a collector stand-in, in the caller's trace: the request
/// carries a W3C traceparent, and the exported spans carry its trace id and the pipeline's stage names.
/// </summary>
public sealed class TracingEndToEndTests : IDisposable
{
    private readonly HttpListener _collector = new();
    private readonly List<byte[]> _exports = [];
    private readonly int _port = FreePort();

    public TracingEndToEndTests()
    {
        _collector.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _collector.Start();
        _ = Task.Run(ReceiveAsync);
    }

    public void Dispose() => _collector.Close();

    [SharedDataFact]
    public async Task Triage_WithTraceparent_StagesExportedInTheCallersTrace()
    {
        await using var server = await ServerProcess.StartWithEnvironmentAsync(
            new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{_port}",
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
                ["OTEL_METRIC_EXPORT_INTERVAL"] = "60000",
            },
            "--Duplicates:Enabled=false");
        var trace = ActivityTraceId.CreateRandom();
        var parent = ActivitySpanId.CreateRandom();
        var headers = new Metadata { { "traceparent", $"00-{trace.ToHexString()}-{parent.ToHexString()}-01" } };

        await server.Client.TriageAsync(Requests.Report(TestPhotos.Shot("graf1.png", 1)), headers);

        // OTLP carries ids as raw bytes and names as UTF-8 strings: found in the payload without parsing it.
        // The spans leave in batches, the request's own last (it ends after the answer): wait for all that is asserted.
        var traceBytes = Convert.FromHexString(trace.ToHexString());
        var parentBytes = Convert.FromHexString(parent.ToHexString());
        string[] stages = ["triage", "validate", "locate", "decode", "preprocess", "queue", "infer", "score", "fuse", "route", "store"];
        var deadline = DateTime.UtcNow.AddSeconds(30);
        byte[] exported;
        while (true)
        {
            lock (_exports)
            {
                exported = [.. _exports.SelectMany(e => e)];
            }

            var all = Contains(exported, traceBytes) && Contains(exported, parentBytes) && stages.All(stage => Contains(exported, Encoding.UTF8.GetBytes(stage)));
            if (all || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(100);
        }

        Assert.True(Contains(exported, traceBytes), "no exported span carries the caller's trace id");
        Assert.True(Contains(exported, parentBytes), "no exported span names the caller's span as its parent");
        foreach (var stage in stages)
        {
            Assert.True(Contains(exported, Encoding.UTF8.GetBytes(stage)), $"no span '{stage}' exported");
        }
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    private static int FreePort()
    {
        using var socket = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    private async Task ReceiveAsync()
    {
        while (_collector.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _collector.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                lock (_exports)
                {
                    _exports.Add(body.ToArray());
                }
            }

            context.Response.StatusCode = 200;
            context.Response.Close();
        }
    }
}
