using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Metrics;
using YamlDotNet.RepresentationModel;

namespace Gateway.IntegrationTests;

[CollectionDefinition(nameof(MetricsCollection), DisableParallelization = true)]
public sealed class MetricsCollection;

/// <summary>
/// /metrics, /health and /ready over real HTTP. Metrics are process-wide, so these tests run alone and
/// assert on the change a message makes.
/// </summary>
[Collection(nameof(MetricsCollection))]
public sealed partial class ObservabilityTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static async Task<Dictionary<string, double>> ScrapeAsync(int port)
    {
        var text = await Http.GetStringAsync($"http://127.0.0.1:{port}/metrics");
        var samples = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n').Where(line => line.StartsWith("gateway_", StringComparison.Ordinal)))
        {
            var space = line.LastIndexOf(' ');
            samples[line[..space]] = double.Parse(line[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }

        return samples;
    }

    private static double Delta(Dictionary<string, double> before, Dictionary<string, double> after, string sample) =>
        after.GetValueOrDefault(sample) - before.GetValueOrDefault(sample);

    [Fact(Timeout = 60_000)]
    public async Task Counters_and_histograms_move_when_a_message_passes()
    {
        var port = FreePort.Next();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Metrics = options.Metrics with { Listen = $"127.0.0.1:{port}" } });
        var before = await ScrapeAsync(port);

        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "metrics"));
        var after = await ScrapeAsync(port);

        // Series with known labels exist from the start: a dashboard shows 0, not "no data".
        Assert.Contains("gateway_messages_total{action=\"quarantine\"}", before.Keys);
        Assert.Contains("gateway_antivirus_scans_total{result=\"error\"}", before.Keys);
        Assert.Contains("gateway_downstream_errors_total{kind=\"timeout\"}", before.Keys);

        Assert.Equal(1, Delta(before, after, "gateway_messages_total{action=\"accept\"}"));
        Assert.Equal(1, Delta(before, after, "gateway_smtp_replies_total{stage=\"data\",class=\"2xx\"}"));
        Assert.Equal(1, Delta(before, after, "gateway_smtp_replies_total{stage=\"rcpt\",class=\"2xx\"}"));
        Assert.Equal(1, Delta(before, after, "gateway_message_duration_seconds_count"));
        Assert.Equal(1, Delta(before, after, "gateway_downstream_duration_seconds_count"));
        Assert.Equal(1, Delta(before, after, "gateway_check_duration_seconds_count{check=\"dmarc\"}"));
        Assert.Equal(1, Delta(before, after, "gateway_symbol_hits_total{symbol=\"SPF_NONE\"}"));
        Assert.True(Delta(before, after, "gateway_dns_queries_total{type=\"TXT\",result=\"nxdomain\"}") >= 1);
        Assert.True(Delta(before, after, "gateway_smtp_sessions_total") >= 1);
        Assert.Contains(after.Keys, key => key.StartsWith("gateway_build_info{version=", StringComparison.Ordinal));
    }

    /// <summary>MAIL refusals were counted under stage="rcpt" (issue 34): each stage is its own label.</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_refused_mail_command_is_counted_under_stage_mail()
    {
        var port = FreePort.Next();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Metrics = options.Metrics with { Listen = $"127.0.0.1:{port}" } });
        var before = await ScrapeAsync(port);

        await using (var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint))
        {
            await client.CommandAsync("EHLO client.test");
            Assert.StartsWith("552 5.3.4", await client.CommandAsync("MAIL FROM:<big@remote.test> SIZE=2000000000"), StringComparison.Ordinal);
            Assert.StartsWith("250", await client.CommandAsync("MAIL FROM:<good@remote.test>"), StringComparison.Ordinal);
        }

        var after = await ScrapeAsync(port);

        Assert.Equal(1, Delta(before, after, "gateway_smtp_replies_total{stage=\"mail\",class=\"5xx\"}"));
        Assert.Equal(1, Delta(before, after, "gateway_smtp_replies_total{stage=\"mail\",class=\"2xx\"}"));
        Assert.Equal(0, Delta(before, after, "gateway_smtp_replies_total{stage=\"rcpt\",class=\"5xx\"}"));
    }

    [Fact(Timeout = 60_000)]
    public async Task Health_answers_and_ready_reports_a_dead_downstream()
    {
        var port = FreePort.Next();
        var closed = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        await using var gateway = await TestGateway.StartAsync(closed, options => options with
            {
                Metrics = options.Metrics with { Listen = $"127.0.0.1:{port}", ProbeInterval = TimeSpan.FromMilliseconds(100) },
                Classifier = options.Classifier with { Enabled = false },
            });

        var health = await Http.GetAsync($"http://127.0.0.1:{port}/health");
        var ready = await Http.GetAsync($"http://127.0.0.1:{port}/ready");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Contains("no server up", await ready.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Ready_is_200_when_everything_is_up()
    {
        var port = FreePort.Next();
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                Metrics = options.Metrics with { Listen = $"127.0.0.1:{port}", ProbeInterval = TimeSpan.FromMilliseconds(100) },
                Classifier = options.Classifier with { Model = Path.Combine(RepositoryRoot.Path, "models", "spam.zip") },
            });

        HttpResponseMessage ready;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        do
        {
            await Task.Delay(100);
            ready = await Http.GetAsync($"http://127.0.0.1:{port}/ready");
        }
        while (ready.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Fact]
    public void The_dashboard_and_the_alerts_use_only_metrics_the_gateway_exports()
    {
        var exported = GatewayMetrics.Names.ToHashSet(StringComparer.Ordinal);
        var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "deploy", "grafana", "gateway-dashboard.json")));
        var dashboardExpressions = dashboard.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(panel => panel.GetProperty("targets").EnumerateArray())
            .Select(target => target.GetProperty("expr").GetString()!)
            .ToList();
        var alerts = new YamlStream();
        alerts.Load(new StringReader(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "deploy", "prometheus", "alerts.yaml"))));
        var alertExpressions = ((YamlSequenceNode)((YamlMappingNode)alerts.Documents[0].RootNode)["groups"]).Children
            .SelectMany(group => ((YamlSequenceNode)((YamlMappingNode)group)["rules"]).Children)
            .Select(rule => ((YamlScalarNode)((YamlMappingNode)rule)["expr"]).Value!)
            .ToList();

        var referenced = dashboardExpressions.Concat(alertExpressions)
            .SelectMany(expression => MetricName().Matches(expression).Select(match => match.Value))
            .Select(name => Regex.Replace(name, "_(bucket|sum|count)$", string.Empty))
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(dashboardExpressions);
        Assert.NotEmpty(alertExpressions);
        Assert.All(referenced, name => Assert.Contains(name, exported));
    }

    [GeneratedRegex("gateway_[a-z_]+")]
    private static partial Regex MetricName();
}
