using Gateway.Core.Classification;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery.Routing;

namespace Gateway.Metrics;

/// <summary>
/// What /ready reports: listening, policy loaded, spam model loaded (when the classifier is on), and
/// every downstream route with a server up at the last probe. A load balancer sends mail only to a ready
/// instance. The probe opens a session as delivery does (greeting, EHLO, STARTTLS with the same
/// certificate checks) and quits; what it finds updates the servers' shared health, so a server back
/// from an outage takes mail again at the next probe rather than at the end of its back-off.
/// </summary>
internal sealed class Readiness : IAsyncDisposable
{
    private readonly GatewayOptions _options;
    private readonly ModelSource? _models;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _probing;
    private readonly RoutedDownstream? _routed;
    private volatile bool _downstreamUp;
    private volatile string _downstreamProblem = "downstream not probed yet";

    public Readiness(GatewayOptions options, ModelSource? models, RoutedDownstream? routed = null)
    {
        _options = options;
        _models = models;
        _routed = routed;
        // Probes serve /ready and the metrics; with no metrics listener no one can read them, so no
        // sessions are opened to the downstream for them (delivery keeps the servers' health by itself).
        _probing = string.IsNullOrEmpty(options.Metrics.Listen) ? Task.CompletedTask : ProbeLoopAsync(_stop.Token);
    }

    public bool Listening { get; set; }

    /// <summary>The conditions not met; empty means ready.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!Listening)
        {
            problems.Add("not listening for SMTP yet");
        }

        if (_models is not null && _models.Current is null)
        {
            problems.Add("spam model not loaded");
        }

        if (!_downstreamUp)
        {
            problems.Add(_downstreamProblem);
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

        if (_routed is null)
        {
            _downstreamProblem = "no downstream";
            return false;
        }

        var down = new List<string>();
        foreach (var route in _routed.Routes)
        {
            var failures = new List<string>();
            foreach (var server in route.Servers)
            {
                if (await ProbeAsync(server, cancellationToken) is { } failure)
                {
                    failures.Add($"{server.Name}: {failure}");
                }
            }

            if (failures.Count == route.Servers.Count)
            {
                down.Add($"downstream route {route.Name}: no server up at the last probe ({string.Join("; ", failures)})");
            }
        }

        _downstreamProblem = string.Join(", ", down);
        return down.Count == 0;
    }

    /// <summary>One session as delivery opens it, then QUIT; the result updates the servers' shared health.</summary>
    private async Task<string?> ProbeAsync(DownstreamServer server, CancellationToken cancellationToken)
    {
        var failure = await DownstreamProbe.FailureAsync(server, _options.Hostname, cancellationToken);
        if (cancellationToken.IsCancellationRequested)
        {
            return "stopping";
        }

        if (failure is null)
        {
            _routed!.Health.MarkUp(server);
        }
        else
        {
            _routed!.Health.MarkDown(server, failure);
        }

        return failure;
    }
}
