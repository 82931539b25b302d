using System.Text;
using Prometheus;

namespace Gateway.Metrics;

/// <summary>
/// The HTTP side for operators: /metrics (Prometheus text), /health (the process answers) and /ready
/// (503 with the reasons while not ready). HttpListener keeps it dependency-free and off the SMTP path.
/// </summary>
internal sealed class MetricsEndpoint : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Readiness _readiness;
    private readonly Learning.LearnEndpoint? _learn;
    private readonly Task _serving;

    /// <param name="learn">Serves /learn/* (site learning for `gateway learn` with the memory store); null when learning is off.</param>
    public MetricsEndpoint(IPEndPoint endPoint, Readiness readiness, Learning.LearnEndpoint? learn = null)
    {
        _readiness = readiness;
        _learn = learn;
        var host = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any) ? "+" : endPoint.Address.ToString();
        _listener.Prefixes.Add($"http://{(endPoint.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && host != "+" ? $"[{host}]" : host)}:{endPoint.Port}/");
        _listener.Start();
        _serving = ServeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _serving;
        }
        catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException)
        {
            // Stopped.
        }

        _listener.Close();
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception exception) when (exception is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            switch (context.Request.Url?.AbsolutePath)
            {
                case "/metrics":
                    response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                    await Prometheus.Metrics.DefaultRegistry.CollectAndExportAsTextAsync(response.OutputStream);
                    break;
                case "/health":
                    await WriteAsync(response, 200, "ok\n");
                    break;
                case "/ready":
                    var problems = _readiness.Problems();
                    await WriteAsync(response, problems.Count == 0 ? 200 : 503, problems.Count == 0 ? "ready\n" : string.Join('\n', problems) + "\n");
                    break;
                case { } path when path.StartsWith("/learn/", StringComparison.Ordinal) && _learn is not null:
                    var (status, body) = await _learn.AnswerAsync(context.Request, path["/learn/".Length..]);
                    await WriteAsync(response, status, body);
                    break;
                default:
                    await WriteAsync(response, 404, "not found: try /metrics, /health or /ready\n");
                    break;
            }
        }
        catch (Exception exception) when (exception is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The scraper went away.
        }
        finally
        {
            response.Close();
        }
    }

    internal static async Task WriteAsync(HttpListenerResponse response, int status, string body)
    {
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        var bytes = Encoding.UTF8.GetBytes(body);
        await response.OutputStream.WriteAsync(bytes);
    }
}
