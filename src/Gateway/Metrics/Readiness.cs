using System.Net.Sockets;
using Gateway.Core.Classification;
using Gateway.Core.Configuration;

namespace Gateway.Metrics;

/// <summary>
/// What /ready reports: listening, policy loaded, spam model loaded (when the classifier is on), and the
/// downstream reachable at the last probe. A load balancer sends mail only to a ready instance.
/// </summary>
internal sealed class Readiness : IAsyncDisposable
{
    private readonly GatewayOptions _options;
    private readonly ModelSource? _models;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _probing;
    private volatile bool _downstreamUp;

    public Readiness(GatewayOptions options, ModelSource? models)
    {
        _options = options;
        _models = models;
        _probing = ProbeLoopAsync(_stop.Token);
    }

    public bool Listening { get; set; }

    public bool PolicyLoaded { get; set; }

    /// <summary>The conditions not met; empty means ready.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Listening)
        {
            problems.Add("not listening for SMTP yet");
        }

        if (!PolicyLoaded)
        {
            problems.Add("rules not loaded");
        }

        if (_models is not null && _models.Current is null)
        {
            problems.Add("spam model not loaded");
        }

        if (!_downstreamUp)
        {
            problems.Add("downstream unreachable at the last probe");
        }

        return problems;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _probing;
        _stop.Dispose();
    }

    private async Task ProbeLoopAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            _downstreamUp = await ProbeAsync(cancellationToken);
            GatewayMetrics.DownstreamUp.Set(_downstreamUp ? 1 : 0);
            try
            {
                await Task.Delay(_options.Metrics.ProbeInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>The SMTP greeting for a downstream server; a write test for a delivery directory.</summary>
    private async Task<bool> ProbeAsync(CancellationToken cancellationToken)
    {
        var downstream = _options.Downstream;
        if (downstream.IsDirectory)
        {
            try
            {
                var folder = Path.GetFullPath(downstream.Directory ?? GatewayHost.DefaultDirectory);
                Directory.CreateDirectory(folder);
                var probe = Path.Combine(folder, $".probe-{Environment.ProcessId}");
                await File.WriteAllTextAsync(probe, "ok", cancellationToken);
                File.Delete(probe);
                return true;
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }

        try
        {
            // Connect, wait for the 220 greeting, QUIT: a clean session in the downstream's log, no transaction.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(downstream.Timeout);
            using var client = new TcpClient();
            await client.ConnectAsync(downstream.Host!, downstream.Port, timeout.Token);
            using var reader = new StreamReader(client.GetStream(), System.Text.Encoding.Latin1, false, 1024, leaveOpen: true);
            string? line;
            do
            {
                line = await reader.ReadLineAsync(timeout.Token);
            }
            while (line is { Length: > 3 } && line[3] == '-');

            await client.GetStream().WriteAsync("QUIT\r\n"u8.ToArray(), timeout.Token);
            return line?.StartsWith("220", StringComparison.Ordinal) == true;
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException or IOException)
        {
            return false;
        }
    }
}
