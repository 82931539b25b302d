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
}
