using Gateway.Core.Pipeline;

namespace Gateway.Core.Authentication.Spf;

/// <summary>SPF for the MAIL FROM identity (HELO for the null sender); reuses the evaluation started at MAIL FROM.</summary>
public sealed class SpfCheck(SpfEvaluator evaluator) : IMessageCheck
{
    public string Name => "spf";

    public CheckPhase Phase => CheckPhase.Mail;

    public IReadOnlyList<string> DependsOn => [];

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var envelope = message.Envelope;
        var outcome = await (message.SpfAtMailFrom ?? evaluator.CheckAsync(envelope.ClientAddress, envelope.HeloName, envelope.From, cancellationToken));
        message.Authentication.Spf = outcome;
        message.Add(new SymbolHit($"SPF_{outcome.Result.ToString().ToUpperInvariant()}", 1.0, $"{outcome.Domain}: {outcome.Reason}"));
        return CheckStatus.Completed;
    }
}
