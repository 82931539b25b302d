using Gateway.Core.Pipeline;

namespace Gateway.Core.Authentication.Arc;

public sealed class ArcCheck(ArcVerification verification) : IMessageCheck
{
    public string Name => "arc";

    public IReadOnlyList<string> DependsOn => [];

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var outcome = await verification.VerifyAsync(message.Message, cancellationToken);
        message.Authentication.Arc = outcome;
        var symbol = outcome.Result switch
        {
            AuthResult.Pass => "ARC_VALID",
            AuthResult.Fail => "ARC_INVALID",
            AuthResult.TempError => "ARC_TEMPERROR",
            _ => "ARC_NONE",
        };
        message.Add(new SymbolHit(symbol, 1.0, outcome.LastSealer is null ? outcome.Reason : $"i={outcome.Instances} d={outcome.LastSealer}"));
        return CheckStatus.Completed;
    }
}
