using Gateway.Core.State;
using StackExchange.Redis;

namespace Gateway.Core.Fuzzy;

/// <summary>
/// The fuzzy store shared by every instance (state.backend: redis): a hash of counts (s, h) per text min-hash and
/// per attachment hash, refreshed to fuzzy.ttl when learned, and a HyperLogLog of sessions per bulk key that
/// lives fuzzy.bulk_window. A lookup is one pipelined round trip: the counts of every key, and the sighting added
/// and counted, sent together.
/// </summary>
public sealed class RedisFuzzyStore(IConnectionMultiplexer redis, string prefix, TimeSpan ttl, TimeSpan bulkWindow) : IFuzzyStore
{
    private static readonly RedisValue[] Fields = ["s", "h"];

    public Task<FuzzyMatch> LookupAsync(FuzzyFingerprint fingerprint, string session, CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, async database =>
        {
            var batch = database.CreateBatch();
            var text = FuzzyKeys.Text(fingerprint).Select(key => batch.HashGetAsync(prefix + key, Fields)).ToList();
            var attachments = FuzzyKeys.Attachments(fingerprint).Select(key => batch.HashGetAsync(prefix + key, Fields)).ToList();
            var bulk = new List<Task<long>>();
            foreach (var key in FuzzyKeys.Bulk(fingerprint))
            {
                _ = batch.HyperLogLogAddAsync(prefix + key, session);
                _ = batch.KeyExpireAsync(prefix + key, bulkWindow, ExpireWhen.HasNoExpiry);
                bulk.Add(batch.HyperLogLogLengthAsync(prefix + key));
            }

            batch.Execute();
            var textCounts = await Task.WhenAll(text);
            var attachmentCounts = await Task.WhenAll(attachments);
            return new FuzzyMatch(
                Share(textCounts, 0), Share(textCounts, 1),
                attachmentCounts.Any(counts => Positive(counts, 0)), attachmentCounts.Any(counts => Positive(counts, 1)),
                FuzzyKeys.Median(await Task.WhenAll(bulk)));
        });

    public Task LearnAsync(FuzzyFingerprint fingerprint, bool isSpam, CancellationToken cancellationToken) => ChangeAsync(fingerprint, isSpam, +1);

    public Task ForgetAsync(FuzzyFingerprint fingerprint, bool isSpam, CancellationToken cancellationToken) => ChangeAsync(fingerprint, isSpam, -1);

    private Task ChangeAsync(FuzzyFingerprint fingerprint, bool isSpam, int by) =>
        RedisCalls.RunAsync(redis, async database =>
        {
            var batch = database.CreateBatch();
            var sent = new List<Task>();
            foreach (var key in FuzzyKeys.Text(fingerprint).Concat(FuzzyKeys.Attachments(fingerprint)))
            {
                sent.Add(batch.HashIncrementAsync(prefix + key, isSpam ? "s" : "h", by));
                sent.Add(batch.KeyExpireAsync(prefix + key, ttl));
            }

            batch.Execute();
            await Task.WhenAll(sent);
            return true;
        });

    private static double Share(RedisValue[][] slots, int field) =>
        (double)slots.Count(counts => Positive(counts, field)) / FuzzyFingerprint.Slots;

    /// <summary>A count above zero (forgetting can take one below: HINCRBY does not stop at zero).</summary>
    private static bool Positive(RedisValue[] counts, int field) => counts[field].TryParse(out long count) && count > 0;
}
