using System.Collections.Concurrent;
using Gateway.Core.Configuration;

namespace Gateway.Smtp.Admission;

/// <summary>
/// The bytes of message content all sessions together may hold (limits.max_message_memory). SmtpServer
/// keeps a DATA in memory until its end, and we keep it until our reply: without a bound, clients that
/// send messages just under the size limit and stall before the final dot hold sessions × max_message_size,
/// more than a host has. Postfix spools to disk and has no such bound to keep; we keep this one. Sessions
/// take it in steps as content arrives (<see cref="GuardedStream"/>); a DATA that finds it spent is read on,
/// dropped, and answered 452 4.3.1 — the sender keeps the message and comes back.
/// One client (an IPv4 address, an IPv6 /64) may hold a quarter of it, or one message of the largest size
/// if that is more: one host with its 50 connections cannot defer everybody else's mail.
/// </summary>
internal sealed class MessageMemoryBudget(long capacity, long perClient)
{
    private readonly ConcurrentDictionary<string, long> _byClient = new();
    private long _taken;

    public long Capacity { get; } = capacity;

    public long PerClient { get; } = Math.Min(capacity, perClient);

    /// <summary>
    /// The budget of limits.max_message_memory, never less than one message of the largest size takes on the
    /// wire (its dot-stuffing and end included): a message within every limit must never be deferred for good.
    /// </summary>
    public static MessageMemoryBudget For(LimitsOptions limits)
    {
        var oneMessage = StreamGuardOptions.MaxDataBytesFor(limits);
        var capacity = Math.Max(limits.MessageMemory, oneMessage);
        return new MessageMemoryBudget(capacity, Math.Max(capacity / 4, oneMessage));
    }

    /// <summary>The key a client's share is counted by.</summary>
    public static string ClientKey(IPAddress client) => Core.Network.ClientNetwork.Of(client, 32, 64);

    /// <summary>Clients holding some now: a client that holds none is forgotten (no entry per address ever seen).</summary>
    public int ClientsHolding => _byClient.Count;

    /// <summary>Bytes taken now (reserved in steps, so up to a step per session above what is held).</summary>
    public long Taken => Volatile.Read(ref _taken);

    /// <summary>What a declared SIZE from this client may still count on, for the answer to MAIL (not a reservation).</summary>
    public long AvailableTo(string? client) =>
        Math.Max(0, Math.Min(Capacity - Taken, client is null ? long.MaxValue : PerClient - _byClient.GetValueOrDefault(client)));

    public bool TryTake(string? client, long bytes)
    {
        if (Interlocked.Add(ref _taken, bytes) > Capacity)
        {
            Interlocked.Add(ref _taken, -bytes);
            return false;
        }

        if (client is not null && _byClient.AddOrUpdate(client, bytes, (_, held) => held + bytes) > PerClient)
        {
            GiveBack(client, bytes);
            return false;
        }

        Metrics.GatewayMetrics.MessageMemory.Set(Taken);
        return true;
    }

    public void GiveBack(string? client, long bytes)
    {
        if (client is not null && _byClient.AddOrUpdate(client, 0, (_, held) => held - bytes) <= 0)
        {
            _byClient.TryRemove(new KeyValuePair<string, long>(client, 0));
        }

        Interlocked.Add(ref _taken, -bytes);
        Metrics.GatewayMetrics.MessageMemory.Set(Taken);
    }
}
