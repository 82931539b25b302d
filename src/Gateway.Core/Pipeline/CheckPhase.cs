namespace Gateway.Core.Pipeline;

/// <summary>The SMTP phase from which a check has all the facts it needs (ARCHITECTURE.md, "Phases").</summary>
public enum CheckPhase
{
    Connect,
    Helo,
    Mail,
    Rcpt,
    Data,
}
