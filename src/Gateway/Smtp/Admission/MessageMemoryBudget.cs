namespace Gateway.Smtp.Admission;

/// <summary>
/// The bytes of message content all sessions together may hold (limits.max_message_memory). SmtpServer
/// keeps a DATA in memory until its end, and we keep it until our reply: without a bound, clients that
/// send messages just under the size limit and stall before the final dot (the data rate counts the whole
/// DATA, so a fast start buys hours) hold sessions × max_message_size, more than a host has. Postfix
/// spools to disk and has no such bound to keep; we keep this one. Sessions take it in steps as content
/// arrives (<see cref="GuardedStream"/>); a DATA that finds it spent is read on, dropped, and answered
/// 452 4.3.1 — the sender keeps the message and comes back.
/// </summary>
internal sealed class MessageMemoryBudget(long capacity)
{
    private long _taken;

    public long Capacity { get; } = capacity;

    /// <summary>Bytes taken now (reserved in steps, so up to a step per session above what is held).</summary>
    public long Taken => Volatile.Read(ref _taken);

    /// <summary>What a declared SIZE may still count on, for the answer to MAIL (not a reservation).</summary>
    public long Available => Math.Max(0, Capacity - Taken);

    public bool TryTake(long bytes)
    {
        if (Interlocked.Add(ref _taken, bytes) <= Capacity)
        {
            Metrics.GatewayMetrics.MessageMemory.Set(Taken);
            return true;
        }

        Interlocked.Add(ref _taken, -bytes);
        return false;
    }

    public void GiveBack(long bytes)
    {
        Interlocked.Add(ref _taken, -bytes);
        Metrics.GatewayMetrics.MessageMemory.Set(Taken);
    }
}
