using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Load;

/// <summary>
/// Peak resident memory of the gateway process (VmHWM): with many sessions each holding a message at
/// once (the downstream waits 2 s before each 250, so all are in flight together), and with one big
/// message, as growth over the resident size just before.
/// </summary>
internal static class MemoryUse
{
    public static async Task<int> RunAsync(string gatewayDll, int sessions, int kilobytes, int megabytes)
    {
        await using var downstream = new FaultyDownstream(0, TimeSpan.Zero, acceptDelay: TimeSpan.FromSeconds(2));
        var limit = Math.Max(64, megabytes * 2) * 1024 * 1024;
        using var gateway = await BenchGateway.StartAsync(gatewayDll, downstream.EndPoint, ", pool_size: 8, timeout: 60s",
            $"limits: {{max_connections: {sessions * 2}, max_connections_per_ip: {sessions * 2}, max_message_size: {limit}}}");

        // Warm-up: JIT, model, pools.
        var small = SmtpPayload.OfSize(kilobytes * 1024, "warm-up");
        await new SoakClient(gateway.EndPoint, 50, 10, perSession: 5, _ => small).RunAsync();
        var idle = gateway.Memory().Rss;

        gateway.ResetPeak();
        var payload = SmtpPayload.OfSize(kilobytes * 1024, "concurrent");
        var concurrent = new SoakClient(gateway.EndPoint, sessions, sessions, perSession: 1, _ => payload);
        await concurrent.RunAsync();
        var (afterConcurrent, peakConcurrent) = gateway.Memory();
        var delivered = concurrent.Replies.Values.Count(code => code / 100 == 2);

        await Task.Delay(TimeSpan.FromSeconds(3));
        GC.Collect();
        gateway.ResetPeak();
        var before = gateway.Memory().Rss;
        var big = SmtpPayload.OfSize(megabytes * 1024 * 1024, "big");
        var single = new SoakClient(gateway.EndPoint, 1, 1, perSession: 1, _ => big);
        await single.RunAsync();
        var (_, peakBig) = gateway.Memory();
        var growth = peakBig - before;

        // Hostile shapes (issue 17): growth for each over the resident size just before it, against its size S.
        var hostile = new List<(string Name, int Size, long Growth, int Reply)>();
        foreach (var (name, shape) in new[] { ("part bomb (tiny parts)", SmtpPayload.PartBomb(16 * 1024 * 1024)), ("RFC 2231 segments", SmtpPayload.ParameterBomb(256 * 1024)) })
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            gateway.ResetPeak();
            var rssBefore = gateway.Memory().Rss;
            var one = new SoakClient(gateway.EndPoint, 1, 1, perSession: 1, _ => shape);
            await one.RunAsync();
            hostile.Add((name, shape.Length, gateway.Memory().Peak - rssBefore, one.Replies.Values.SingleOrDefault()));
        }

        static string Mb(long bytes) => (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture);
        Console.WriteLine($"memory: gateway process, classifier on, offline");
        Console.WriteLine($"idle after warm-up: RSS {Mb(idle)} MB");
        Console.WriteLine($"{sessions} concurrent sessions x {kilobytes} KB: peak RSS {Mb(peakConcurrent)} MB ({delivered}/{sessions} delivered; RSS after {Mb(afterConcurrent)} MB)");
        Console.WriteLine($"one {megabytes} MB message: RSS before {Mb(before)} MB, peak {Mb(peakBig)} MB, growth {Mb(growth)} MB = {(double)growth / big.Length:0.00} x the message (reply {single.Replies.Values.SingleOrDefault()})");
        foreach (var (name, size, grown, reply) in hostile)
        {
            Console.WriteLine($"{name}, S = {Mb(size)} MB: peak growth {Mb(grown)} MB = {(double)grown / size:0.00} x S (reply {reply})");
        }

        return 0;
    }
}
