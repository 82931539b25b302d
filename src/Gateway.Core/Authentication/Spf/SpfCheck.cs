using Gateway.Core.Pipeline;

namespace Gateway.Core.Authentication.Spf;

/// <summary>SPF for the MAIL FROM identity (HELO for the null sender); reuses the evaluation started at MAIL FROM.</summary>
public sealed class SpfCheck(SpfEvaluator evaluator) : IMessageCheck
{
    public string Name => "spf";

    public IReadOnlyList<string> DependsOn => [];

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var envelope = message.Envelope;
        SpfOutcome outcome;
        try
        {
            outcome = await (envelope.SpfAtMailFrom ?? evaluator.CheckAsync(envelope.ClientAddress, envelope.HeloName, envelope.From, cancellationToken)).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The evaluation started at MAIL FROM ran out of its time (limits.check_timeout): DNS trouble.
            var identity = envelope.From is { } from ? from[(from.LastIndexOf('@') + 1)..] : envelope.HeloName;
            outcome = new SpfOutcome(SpfResult.TempError, identity, Reason: "SPF evaluation did not finish in time");
        }

        message.Authentication.Spf = outcome;
        message.Add(new SymbolHit($"SPF_{outcome.Result.ToString().ToUpperInvariant()}", 1.0, $"{outcome.Domain}: {outcome.Reason}"));
        return CheckStatus.Completed;
    }
}
