namespace Gateway.Core.Pipeline;

/// <summary>What the client told us in the SMTP dialogue. <see cref="From"/> is null for the null sender <c>&lt;&gt;</c>.</summary>
public sealed record Envelope(
    IPAddress ClientAddress,
    string HeloName,
    string? From,
    IReadOnlyList<string> Recipients,
    bool IsTls = false)
{
    public static readonly Envelope Offline = new(IPAddress.Loopback, "localhost", null, []);
}
