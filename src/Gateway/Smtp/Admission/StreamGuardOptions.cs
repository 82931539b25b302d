using Gateway.Core.Configuration;

namespace Gateway.Smtp.Admission;

/// <summary>The limits <see cref="GuardedStream"/> enforces on the client's byte stream, from <see cref="LimitsOptions"/>.</summary>
/// <param name="Memory">The message memory all sessions share (limits.max_message_memory); null: unbounded (tests of other limits).</param>
internal sealed record StreamGuardOptions(int MaxLineLength, long MaxDataBytes, int MinDataRate, TimeSpan DataRateGrace, TimeSpan CommandTimeout, MessageMemoryBudget? Memory = null)
{
    public static StreamGuardOptions From(LimitsOptions limits, MessageMemoryBudget memory) => new(
        limits.MaxLineLength,
        // Dot-stuffing adds a byte per line that starts with '.', so the raw stream may run a little over the
        // size of the message; the exact check happens on the unstuffed message.
        limits.MaxMessageSize + (limits.MaxMessageSize / 16) + 4096,
        limits.MinDataRate,
        limits.MinDataRateGrace,
        limits.CommandTimeout,
        memory);
}
