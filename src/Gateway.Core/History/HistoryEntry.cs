namespace Gateway.Core.History;

/// <summary>
/// One line of the history: what a client offered and what it was told. A DATA verdict carries the message's
/// identity, score and symbols; a refusal at MAIL or RCPT only the envelope and the reply.
/// </summary>
/// <param name="Stage">"data", "mail" or "rcpt": where the client was answered.</param>
/// <param name="Action">The verdict (accept, tag, quarantine, reject, tempfail), or "refused" at MAIL and RCPT.</param>
/// <param name="Reply">What the client was told, code first: for accepted mail, the downstream's own reply.</param>
public sealed record HistoryEntry(
    DateTimeOffset Time,
    string Stage,
    string Action,
    string Client,
    string Helo,
    string From,
    IReadOnlyList<string> Recipients,
    string Reply)
{
    public string? QueueId { get; init; }

    public string? MessageId { get; init; }

    public string? Subject { get; init; }

    public double? Score { get; init; }

    /// <summary>The symbols that counted, largest first, as NAME(score).</summary>
    public IReadOnlyList<string> Symbols { get; init; } = [];
}
