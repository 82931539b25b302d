using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;

namespace Gateway.Core.Scanning;

/// <summary>The outcome of scanning one message: its context (symbols, parsed message), verdict and per-check timings.</summary>
public sealed record ScanResult(MessageContext Context, Verdict Verdict, ScoringPolicy Policy, IReadOnlyList<CheckResult> Checks);
