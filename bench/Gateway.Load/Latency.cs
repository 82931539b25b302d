using System.Globalization;
using System.Text.RegularExpressions;

namespace Gateway.Load;

/// <summary>
/// Latency the gateway adds: the same messages at the same concurrency straight into the downstream
/// (the bare hop) and through the gateway (shadow mode, so spam travels the whole path too), timed per
/// transaction from MAIL FROM to the final reply; percentiles of both and their difference, then the
/// gateway's own per-check histogram from its metrics.
/// </summary>
internal static partial class Latency
{
    public static async Task<int> RunAsync(string gatewayDll, int messages, int concurrency, string[] files)
    {
        var payloads = files.Select(file => SmtpPayload.From(File.ReadAllBytes(file))).ToArray();
        await using var downstream = new FaultyDownstream(0, TimeSpan.Zero);
        using var gateway = await BenchGateway.StartAsync(gatewayDll, downstream.EndPoint, ", pool_size: 64", "mode: shadow\nlimits: {max_connections: 1000, max_connections_per_ip: 1000}");

        // Warm-up of both paths (JIT, pools), then the measured runs, bare first, then gateway, then bare again.
        await MeasureAsync(downstream.EndPoint, 500, concurrency, payloads);
        await MeasureAsync(gateway.EndPoint, 500, concurrency, payloads);
        var bare1 = await MeasureAsync(downstream.EndPoint, messages, concurrency, payloads);
        var through = await MeasureAsync(gateway.EndPoint, messages, concurrency, payloads);
        var bare2 = await MeasureAsync(downstream.EndPoint, messages, concurrency, payloads);
        var bare = bare1.Concat(bare2).Order().ToArray();

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"latency: {messages} messages per run, concurrency {concurrency}, {files.Length} message file(s), times in ms from MAIL FROM to the final reply"));
        Console.WriteLine("path             p50      p90      p99      max");
        Console.WriteLine(Row("bare hop", bare));
        Console.WriteLine(Row("gateway", through));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"added            {P(through, 0.5) - P(bare, 0.5),-8:0.00} {P(through, 0.9) - P(bare, 0.9),-8:0.00} {P(through, 0.99) - P(bare, 0.99),-8:0.00}"));
        Console.WriteLine("per check (gateway_check_duration_seconds): mean ms, p99 bucket bound ms");
        foreach (var line in PerCheck(await gateway.MetricsAsync()))
        {
            Console.WriteLine(line);
        }

        return 0;
    }

    private static async Task<double[]> MeasureAsync(System.Net.IPEndPoint target, int messages, int concurrency, byte[][] payloads)
    {
        var client = new SoakClient(target, messages, concurrency, perSession: 10, id => payloads[id % payloads.Length]);
        await client.RunAsync();
        return [.. client.Latencies.Order()];
    }

    private static double P(double[] sorted, double quantile) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];

    private static string Row(string name, double[] sorted) =>
        string.Create(CultureInfo.InvariantCulture, $"{name,-16} {P(sorted, 0.5),-8:0.00} {P(sorted, 0.9),-8:0.00} {P(sorted, 0.99),-8:0.00} {sorted[^1],-8:0.00}");

    /// <summary>Mean and the p99 bucket of each check, from the Prometheus text.</summary>
    private static IEnumerable<string> PerCheck(string metrics)
    {
        var sums = CheckSeries("gateway_check_duration_seconds_sum", metrics);
        var counts = CheckSeries("gateway_check_duration_seconds_count", metrics);
        foreach (var (check, count) in counts.Where(pair => pair.Value > 0).OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            var buckets = BucketLine().Matches(metrics)
                .Where(match => match.Groups["check"].Value == check)
                .Select(match => (Bound: match.Groups["le"].Value == "+Inf" ? double.PositiveInfinity : double.Parse(match.Groups["le"].Value, CultureInfo.InvariantCulture), Count: double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture)))
                .OrderBy(bucket => bucket.Bound)
                .ToList();
            var p99 = buckets.FirstOrDefault(bucket => bucket.Count >= 0.99 * count).Bound;
            yield return string.Create(CultureInfo.InvariantCulture, $"  {check,-12} {sums[check] / count * 1000,8:0.000} {p99 * 1000,8:0.#}");
        }
    }

    private static Dictionary<string, double> CheckSeries(string name, string metrics) =>
        Regex.Matches(metrics, "^" + name + @"\{check=""(?<check>[^""]+)""\} (?<value>\S+)$", RegexOptions.Multiline)
            .ToDictionary(match => match.Groups["check"].Value, match => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^gateway_check_duration_seconds_bucket\{check=""(?<check>[^""]+)"",le=""(?<le>[^""]+)""\} (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex BucketLine();
}
