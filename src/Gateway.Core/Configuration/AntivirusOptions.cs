namespace Gateway.Core.Configuration;

public enum AntivirusScope
{
    /// <summary>Each attachment on its own (the name of the infected one is in the finding).</summary>
    Attachments,

    /// <summary>The whole message as received, once (also finds what hides in a body part).</summary>
    Message,
}

public enum AntivirusFallback
{
    /// <summary>451 4.7.1: the sender retries; nothing passes unscanned.</summary>
    TempFail,

    /// <summary>Delivered unscanned, with the ANTIVIRUS_UNAVAILABLE symbol.</summary>
    Accept,
}

/// <summary>Virus scanning through clamd, the ClamAV daemon (gateway.yaml <c>antivirus:</c>); off by default.</summary>
public sealed record AntivirusOptions
{
    public bool Enabled { get; init; }

    /// <summary>host:port of clamd's TCPSocket, or the path of its LocalSocket (/run/clamav/clamd.ctl).</summary>
    public string Clamd { get; init; } = "127.0.0.1:3310";

    /// <summary>
    /// The budget for one message's whole scan (every part: connect, stream, answer). The antivirus check
    /// runs under it instead of limits.check_timeout; past it the message is on_error's.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Parts (or messages) larger than this are not sent (keep it at or under clamd's StreamMaxLength, 25 MB by default).</summary>
    public long MaxSize { get; init; } = 25L * 1024 * 1024;

    /// <summary>
    /// Attachments scanned one by one in a message at most; a message with more is on_error's (451 by
    /// default), so no sender can make clamd unpack hundreds of archives for one message.
    /// </summary>
    public int MaxParts { get; init; } = 100;

    public AntivirusScope Scan { get; init; } = AntivirusScope.Attachments;

    public AntivirusFallback OnError { get; init; } = AntivirusFallback.TempFail;

    /// <summary>Connections to clamd kept open between scans (clamd's IDSESSION).</summary>
    public int PoolSize { get; init; } = 4;

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(!Enabled || Clamd.Length > 0, "antivirus.clamd", "needs host:port or a socket path");
        errors.Require(Timeout > TimeSpan.Zero, "antivirus.timeout", "must be more than 0");
        errors.Require(MaxSize > 0, "antivirus.max_size", "must be more than 0 (bytes)");
        errors.Require(MaxParts is >= 1 and <= 10_000, "antivirus.max_parts", "must be between 1 and 10000");
        errors.Require(PoolSize is >= 1 and <= 64, "antivirus.pool_size", "must be between 1 and 64");
    }
}
