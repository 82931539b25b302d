using Gateway.Core.Pipeline;

namespace Gateway.Core.Authentication.Dkim;

/// <summary>Every DKIM signature, verified on the message exactly as received.</summary>
public sealed class DkimCheck(DkimVerification verification) : IMessageCheck
{
    public string Name => "dkim";

    public IReadOnlyList<string> DependsOn => [];

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        var results = await verification.VerifyAsync(message.Message, message.RawMessage, cancellationToken);
        message.Authentication.Dkim = results;
        if (results.Count == 0)
        {
            message.Add(new SymbolHit("DKIM_NONE", 1.0, "no DKIM-Signature"));
        }

        foreach (var result in results)
        {
            var symbol = result.Result switch
            {
                AuthResult.Pass => "DKIM_VALID",
                AuthResult.Fail => "DKIM_INVALID",
                AuthResult.TempError => "DKIM_TEMPERROR",
                _ => "DKIM_PERMERROR",
            };
            message.Add(new SymbolHit(symbol, 1.0, $"d={result.Domain} s={result.Selector}{(result.Reason is null ? string.Empty : ": " + result.Reason)}"));
            if (result.BodyLengthLimited)
            {
                // l= lets anyone append content after the signed part (RFC 6376 8.2).
                message.Add(new SymbolHit("DKIM_BODY_LENGTH_LIMIT", 1.0, $"d={result.Domain} signs only part of the body"));
            }
        }

        return CheckStatus.Completed;
    }
}
