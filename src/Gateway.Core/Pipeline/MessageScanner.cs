using Gateway.Core.Scoring;
using MimeKit;

namespace Gateway.Core.Pipeline;

/// <summary>
/// Parses a message once, runs every check and scores the hits. Shared by the SMTP path and
/// <c>gateway check</c>, so both give the same verdict for the same message.
/// </summary>
public sealed class MessageScanner(PipelineRunner runner, Func<ScoringPolicy> currentPolicy)
{
    public const string MimeParseErrorSymbol = "MIME_PARSE_ERROR";

    public async Task<ScanResult> ScanAsync(string sessionId, Envelope envelope, ReadOnlyMemory<byte> raw, CancellationToken cancellationToken, Task<Authentication.Spf.SpfOutcome>? spfAtMailFrom = null)
    {
        // One snapshot per message: a policy reload never splits a decision.
        var policy = currentPolicy();
        var (message, parseError) = await ParseAsync(raw, cancellationToken);
        var context = new MessageContext { SessionId = sessionId, Envelope = envelope, RawMessage = raw, Message = message, SpfAtMailFrom = spfAtMailFrom, Policy = policy };
        if (parseError is not null)
        {
            context.Add(new SymbolHit(MimeParseErrorSymbol, 1.0, parseError));
        }

        var checks = await runner.RunAsync(context, cancellationToken);
        var verdict = ScoreCalculator.Decide(context.Symbols, context.ForcedActions, policy);
        return new ScanResult(context, verdict, policy, checks);
    }

    private static async Task<(MimeMessage Message, string? Error)> ParseAsync(ReadOnlyMemory<byte> raw, CancellationToken cancellationToken)
    {
        try
        {
            var stream = new MemoryStream(raw.ToArray(), writable: false);
            return (await MimeMessage.LoadAsync(stream, cancellationToken), null);
        }
        catch (FormatException exception)
        {
            // MimeKit is lenient; what it still refuses is scored, not dropped.
            return (new MimeMessage(), exception.Message);
        }
    }
}
