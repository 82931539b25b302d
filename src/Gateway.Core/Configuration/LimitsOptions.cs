namespace Gateway.Core.Configuration;

public sealed record LimitsOptions
{
    /// <summary>Bytes; advertised in EHLO SIZE and enforced on the declared SIZE and the received data.</summary>
    public int MaxMessageSize { get; init; } = 25 * 1024 * 1024;

    public int MaxRecipients { get; init; } = 100;

    /// <summary>
    /// Bytes of message content all sessions together may hold, from the first byte of DATA to our reply;
    /// a DATA beyond it gets 452 4.3.1 (and a MAIL whose SIZE cannot fit what is left, too); one client may hold
    /// a quarter of it, or one message of the largest size if that is more. Null: a quarter
    /// of the memory .NET may use here (the machine's, or the container's limit). The process needs more
    /// than this while it scans (the copy, the parsed parts): bench/RESULTS.md, "Memory for hostile shapes".
    /// </summary>
    public long? MaxMessageMemory { get; init; }

    /// <summary>
    /// <see cref="MaxMessageMemory"/>, or its default on this machine (at least 64 MB). The gateway never uses
    /// less than one message of the largest size on the wire (Smtp.Admission.MessageMemoryBudget.For).
    /// </summary>
    public long MessageMemory => MaxMessageMemory ?? Math.Max(64L << 20, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>Bytes of the header section; more gets 552 5.3.4 (a header bomb costs every parser downstream).</summary>
    public int MaxHeaderSize { get; init; } = 256 * 1024;

    /// <summary>Header fields per message; more gets 552 5.3.4.</summary>
    public int MaxHeaderCount { get; init; } = 1000;

    /// <summary>Multipart nesting the parser follows; deeper parts are kept whole, unparsed.</summary>
    public int MaxMimeDepth { get; init; } = 32;

    /// <summary>MIME parts in one message (multiparts and attachments counted); more gets 552 5.3.4 before it is parsed.</summary>
    public int MaxMimeParts { get; init; } = 1000;

    /// <summary>Parameters (RFC 2231 segments each count) in one Content-Type or Content-Disposition field; more gets 552 5.3.4.</summary>
    public int MaxMimeParameters { get; init; } = 100;

    /// <summary>Protocol errors (unknown command, bad syntax, wrong order) in a row; the one that reaches it gets its reply, then 421 4.7.0 and the connection closes.</summary>
    public int MaxErrors { get; init; } = 5;

    /// <summary>
    /// Permanent (5xx) MAIL and RCPT refusals (relay denied, unknown user, bad syntax) one session may collect
    /// without a message accepted in between; the one beyond gets its reply, then 421 4.7.0 and the
    /// connection closes. Not protocol errors: Postfix's smtpd_hard_error_limit (20) counts them this way.
    /// Our own 4xx (452 for recipients over max_recipients or of another route or group, greylisting, rate
    /// limits) do not count: they ask the client to come back, and a big message must not be cut off for them.
    /// </summary>
    public int MaxRefusals { get; init; } = 20;

    public int MaxConnections { get; init; } = 500;

    /// <summary>Concurrent sessions from one client address; one host cannot take all the slots.</summary>
    public int MaxConnectionsPerIp { get; init; } = 50;

    /// <summary>Bytes in one command line (RFC 5321 allows 512; SMTPUTF8 and extensions need more); longer gets 500 5.5.2 and the connection closes.</summary>
    public int MaxLineLength { get; init; } = 2048;

    /// <summary>
    /// Bytes per second DATA must average after <see cref="MinDataRateGrace"/> (Postfix's smtpd_min_data_rate);
    /// slower gets 421 4.4.2: a slowloris client cannot hold a session for hours. 0 turns it off.
    /// </summary>
    public int MinDataRate { get; init; } = 500;

    /// <summary>Time DATA gets before the minimum rate counts.</summary>
    public TimeSpan MinDataRateGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the gateway waits for the client's next command (also: one command line must be finished within it).</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest one SMTP session may last, DATA included.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>On shutdown, how long messages already in DATA processing may take to finish.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest one check may run before it counts as CHECK_ERROR.</summary>
    public TimeSpan CheckTimeout { get; init; } = TimeSpan.FromSeconds(10);

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(MaxMessageSize > 0, "limits.max_message_size", "must be more than 0");
        errors.Require(MaxRecipients > 0, "limits.max_recipients", "must be more than 0");
        errors.Require(MaxMessageMemory is null || MaxMessageMemory >= MaxMessageSize, "limits.max_message_memory", "must be at least limits.max_message_size (or left out: a quarter of the memory)");
        errors.Require(MaxConnections > 0, "limits.max_connections", "must be more than 0");
        errors.Require(MaxHeaderSize > 0, "limits.max_header_size", "must be more than 0");
        errors.Require(MaxHeaderCount > 0, "limits.max_header_count", "must be more than 0");
        errors.Require(MaxErrors > 0, "limits.max_errors", "must be more than 0");
        errors.Require(MaxRefusals > 0, "limits.max_refusals", "must be more than 0");
        errors.Require(MaxMimeDepth is > 0 and <= 1024, "limits.max_mime_depth", "must be between 1 and 1024");
        errors.Require(MaxMimeParts > 0, "limits.max_mime_parts", "must be more than 0");
        errors.Require(MaxMimeParameters > 0, "limits.max_mime_parameters", "must be more than 0");
        errors.Require(MaxConnectionsPerIp > 0, "limits.max_connections_per_ip", "must be more than 0");
        errors.Require(MaxLineLength >= 512, "limits.max_line_length", "must be at least 512 (RFC 5321 4.5.3.1.4)");
        errors.Require(MinDataRate >= 0, "limits.min_data_rate", "must be 0 (off) or more");
        errors.Require(MinDataRateGrace >= TimeSpan.Zero, "limits.min_data_rate_grace", "must be 0 or more");
        errors.Require(CommandTimeout > TimeSpan.Zero, "limits.command_timeout", "must be more than 0");
        errors.Require(SessionTimeout > TimeSpan.Zero, "limits.session_timeout", "must be more than 0");
        errors.Require(CheckTimeout > TimeSpan.Zero, "limits.check_timeout", "must be more than 0");
        errors.Require(DrainTimeout >= TimeSpan.Zero, "limits.drain_timeout", "must be 0 or more");
    }
}
