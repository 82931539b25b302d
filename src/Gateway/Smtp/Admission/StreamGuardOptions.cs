using Gateway.Core.Configuration;

namespace Gateway.Smtp.Admission;

/// <summary>The limits <see cref="GuardedStream"/> enforces on the client's byte stream, from <see cref="LimitsOptions"/>.</summary>
/// <param name="Memory">The message memory all sessions share (limits.max_message_memory); null: unbounded (tests of other limits).</param>
internal sealed record StreamGuardOptions(int MaxLineLength, long MaxDataBytes, int MinDataRate, TimeSpan DataRateGrace, TimeSpan CommandTimeout, MessageMemoryBudget? Memory = null)
{
    public static StreamGuardOptions From(LimitsOptions limits, MessageMemoryBudget memory) => new(
        limits.MaxLineLength,
        MaxDataBytesFor(limits),
        limits.MinDataRate,
        limits.MinDataRateGrace,
        limits.CommandTimeout,
        memory);

    /// <summary>
    /// The most DATA bytes a message within limits.max_message_size may take on the wire, its end included:
    /// dot-stuffing adds a byte per line that starts with '.', so the raw stream may run a little over the
    /// size of the message; the exact check happens on the unstuffed message.
    /// </summary>
    public static long MaxDataBytesFor(LimitsOptions limits) => limits.MaxMessageSize + (limits.MaxMessageSize / 16) + 4096;
}
