using Gateway.Core.Pipeline;
using Gateway.Core.Scoring;
using MimeKit;

namespace Gateway.Core.Scanning;

/// <summary>
/// Parses a message once, runs every check and scores the hits. Shared by the SMTP path and
/// <c>gateway check</c>, so both give the same verdict for the same message.
/// </summary>
/// <param name="maxMimeDepth">Multipart nesting beyond this is kept as an opaque leaf (MimeKit's ParserOptions.MaxMimeDepth): a deeply nested bomb cannot exhaust the stack or the checks.</param>
public sealed class MessageScanner(PipelineRunner runner, Func<ScoringPolicy> currentPolicy, int maxMimeDepth = 32)
{
    private readonly ParserOptions _parserOptions = new() { MaxMimeDepth = maxMimeDepth };

    public const string MimeParseErrorSymbol = "MIME_PARSE_ERROR";

    public async Task<ScanResult> ScanAsync(string sessionId, Envelope envelope, ReadOnlyMemory<byte> raw, CancellationToken cancellationToken)
    {
        // One snapshot per message: a policy reload never splits a decision.
        var policy = currentPolicy();
        var (message, parseError) = await ParseAsync(raw, _parserOptions, cancellationToken);
        envelope = envelope with { PolicyGroup = policy.GroupOf(envelope) };
        var context = new MessageContext { SessionId = sessionId, Envelope = envelope, RawMessage = raw, Message = message };
        policy.Lend(context);
        if (parseError is not null)
        {
            context.Add(new SymbolHit(MimeParseErrorSymbol, 1.0, parseError));
        }

        foreach (var hit in envelope.SessionSymbols)
        {
            context.Add(hit);
        }

        var checks = await runner.RunAsync(context, cancellationToken);
        var verdict = ScoreCalculator.Decide(context.Symbols, context.ForcedActions, policy, envelope.PolicyGroup);
        return new ScanResult(context, verdict, policy, checks);
    }

    private static async Task<(MimeMessage Message, string? Error)> ParseAsync(ReadOnlyMemory<byte> raw, ParserOptions options, CancellationToken cancellationToken)
    {
        try
        {
            // Over the caller's bytes, not a copy: a big message is already held twice (SmtpServer's buffer, ours).
            return (await MimeMessage.LoadAsync(options, Pipeline.MessageBytes.ReadOnlyStream(raw), cancellationToken), null);
        }
        catch (FormatException exception)
        {
            // MimeKit is lenient; what it still refuses is scored, not dropped.
            return (new MimeMessage(), exception.Message);
        }
    }
}
