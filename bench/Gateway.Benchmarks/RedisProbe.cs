namespace Gateway.Benchmarks;
internal static class RedisProbe
{
    public static async Task<int> RunAsync(string endPoint)
    {
        var state = await Gateway.Core.State.RedisStateStore.ConnectAsync(endPoint, "probe:", TimeSpan.FromSeconds(2));
        var store = new Gateway.Core.Learning.RedisSiteTokenStore(state.Connection, "probe:");
        var random = new Random(1);
        var tokens = Enumerable.Range(0, 200).Select(_ => (ulong)random.NextInt64()).ToList();
        for (var i = 0; i < 200; i++) await store.LookupAsync(tokens, CancellationToken.None);
        foreach (var concurrency in new[] { 1, 10 })
        {
            var times = new System.Collections.Concurrent.ConcurrentBag<double>();
            await Parallel.ForAsync(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (_, _) =>
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await store.LookupAsync(tokens, CancellationToken.None);
                times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            });
            var sorted = times.Order().ToArray();
            Console.WriteLine($"concurrency {concurrency}: mean {sorted.Average():0.000} ms, p50 {sorted[sorted.Length / 2]:0.000}, p99 {sorted[(int)(sorted.Length * 0.99)]:0.000}");
        }
        return 0;
    }

    /// <summary>The fuzzy lookup's cost against a real Redis: one pipelined round trip (32 + 8 x 3 commands) per message.</summary>
    public static async Task<int> FuzzyAsync(string endPoint)
    {
        var state = await Gateway.Core.State.RedisStateStore.ConnectAsync(endPoint, "probe:", TimeSpan.FromSeconds(2));
        var store = new Gateway.Core.Fuzzy.RedisFuzzyStore(state.Connection, "probe:", TimeSpan.FromDays(1), TimeSpan.FromHours(6));
        var text = string.Join(' ', Enumerable.Range(0, 200).Select(i => $"word{(char)('a' + (i % 26))}{(char)('a' + (i / 26 % 26))}"));
        var message = new MimeKit.MimeMessage { Body = new MimeKit.TextPart("plain") { Text = text } };
        var fingerprint = Gateway.Core.Fuzzy.FuzzyFingerprint.Of(message);
        await store.LearnAsync(fingerprint, isSpam: true, CancellationToken.None);
        var cpu = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++) Gateway.Core.Fuzzy.FuzzyFingerprint.Of(message);
        Console.WriteLine($"fingerprint of a 200-word message: {cpu.Elapsed.TotalMilliseconds / 1000:0.000} ms");
        for (var i = 0; i < 200; i++) await store.LookupAsync(fingerprint, $"warm{i}", CancellationToken.None);
        foreach (var concurrency in new[] { 1, 10 })
        {
            var times = new System.Collections.Concurrent.ConcurrentBag<double>();
            await Parallel.ForAsync(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
            {
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                await store.LookupAsync(fingerprint, $"t{concurrency}-{i}", CancellationToken.None);
                times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            });
            var sorted = times.Order().ToArray();
            Console.WriteLine($"fuzzy lookup, concurrency {concurrency}: mean {sorted.Average():0.000} ms, p50 {sorted[sorted.Length / 2]:0.000}, p99 {sorted[(int)(sorted.Length * 0.99)]:0.000}");
        }

        return 0;
    }
}
