using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Metrics;

/// <summary>
/// The HTTP side for operators: /metrics (Prometheus text), /health (the process answers), /ready (503
/// with the reasons while not ready) and /learn/* (site learning). Kestrel, with every limit set: this port
/// is often reachable from a network (the Kubernetes manifests listen on 0.0.0.0), and a listener that
/// kept every half-sent request open (HttpListener did) could take the process's file descriptors from
/// SMTP. Beyond the connection cap Kestrel closes new connections at once.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    /// <summary>Concurrent HTTP connections at most: scrapers, probes and `gateway learn` need a handful.</summary>
    public const int MaxConnections = 64;

    /// <summary>A client must have sent its whole request header within this.</summary>
    public static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(10);

    private readonly WebApplication _app;
    private readonly Readiness _readiness;
    private readonly Learning.LearnEndpoint? _learn;

    private MetricsEndpoint(WebApplication app, Readiness readiness, Learning.LearnEndpoint? learn)
    {
        _app = app;
        _readiness = readiness;
        _learn = learn;
        app.Run(AnswerAsync);
    }

    /// <param name="learn">Serves /learn/* (site learning for `gateway learn` with the memory store); null when learning is off.</param>
    /// <param name="maxBody">The largest request body read (a message to learn); more is refused with 413 as it arrives.</param>
    public static async Task<MetricsEndpoint> StartAsync(IPEndPoint endPoint, Readiness readiness, Learning.LearnEndpoint? learn, long maxBody)
    {
        // The empty builder: no configuration files or environment variables, no logging, nothing but Kestrel.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endPoint);
            var limits = kestrel.Limits;
            limits.MaxConcurrentConnections = MaxConnections;
            limits.MaxConcurrentUpgradedConnections = 0;
            limits.RequestHeadersTimeout = HeaderTimeout;
            limits.KeepAliveTimeout = TimeSpan.FromSeconds(15);
            limits.MaxRequestHeaderCount = 50;
            limits.MaxRequestHeadersTotalSize = 16 * 1024;
            limits.MaxRequestLineSize = 4 * 1024;
            limits.MaxRequestBodySize = maxBody;
            limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 4096, gracePeriod: TimeSpan.FromSeconds(5));
            limits.MinResponseDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(5));
            limits.Http2.MaxStreamsPerConnection = 4;
        });
        builder.Services.AddLogging(logging => logging.ClearProviders());
        var app = builder.Build();
        var endpoint = new MetricsEndpoint(app, readiness, learn);
        try
        {
            await app.StartAsync();
        }
        catch (IOException exception)
        {
            await app.DisposeAsync();
            throw new IOException($"metrics.listen {endPoint}: {(InUse(exception) ? "address already in use (is another gateway running?)" : exception.Message.TrimEnd('.'))}", exception);
        }

        return endpoint;
    }

    public async ValueTask DisposeAsync()
    {
        using var soon = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(soon.Token);
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext context)
    {
        var response = context.Response;
        try
        {
            switch (context.Request.Path.Value)
            {
                case "/metrics":
                    response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(response.Body, context.RequestAborted);
                    break;
                case "/health":
                    await WriteAsync(response, 200, "ok\n");
                    break;
                case "/ready":
                    var problems = _readiness.Problems();
                    await WriteAsync(response, problems.Count == 0 ? 200 : 503, problems.Count == 0 ? "ready\n" : string.Join('\n', problems) + "\n");
                    break;
                case { } path when path.StartsWith("/learn/", StringComparison.Ordinal) && _learn is not null:
                    var (status, body) = await _learn.AnswerAsync(context, path["/learn/".Length..]);
                    await WriteAsync(response, status, body);
                    break;
                default:
                    await WriteAsync(response, 404, "not found: try /metrics, /health or /ready\n");
                    break;
            }
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException exception) when (!response.HasStarted)
        {
            // A body over the cap or too slow: Kestrel's own status (413, 408), one line.
            await WriteAsync(response, exception.StatusCode, exception.StatusCode == StatusCodes.Status413PayloadTooLarge ? "request body too large\n" : "bad request\n");
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException)
        {
            // The client went away.
        }
    }

    internal static async Task WriteAsync(HttpResponse response, int status, string body)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(body));
    }

    private static bool InUse(Exception? exception) =>
        exception is not null && (exception is Microsoft.AspNetCore.Connections.AddressInUseException
            || exception is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }
            || InUse(exception.InnerException));
}
