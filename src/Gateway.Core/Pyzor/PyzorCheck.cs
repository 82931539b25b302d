using Gateway.Core.Pipeline;

namespace Gateway.Core.Pyzor;

/// <summary>
/// PYZOR_SPAM when a configured Pyzor server has the message's digest reported as spam more often than
/// whitelisted (SpamAssassin's PYZOR_CHECK); the detail says how often. A server that does not answer within
/// pyzor.timeout gives no symbol and no delay beyond it; the next server is asked. A message without a line
/// long enough to digest is not asked about (its empty digest would match every such message).
/// </summary>
public sealed class PyzorCheck(IReadOnlyList<PyzorClient> servers) : IMessageCheck
{
    public const string Symbol = "PYZOR_SPAM";

    public string Name => "pyzor";

    public IReadOnlyList<string> DependsOn => [];

    public async ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
    {
        if (PyzorDigest.Of(message.Message) is not { } digest)
        {
            return CheckStatus.Skipped;
        }

        foreach (var server in servers)
        {
            try
            {
                var answer = await server.CheckAsync(digest, cancellationToken);
                if (answer.IsOk && answer.Count > 0 && answer.Count > answer.WhitelistCount)
                {
                    message.Add(new SymbolHit(Symbol, 1.0, $"reported {answer.Count} times to {server.Server}"));
                }

                return CheckStatus.Completed;
            }
            catch (Exception exception) when (exception is TimeoutException or System.Net.Sockets.SocketException)
            {
                // The next server, or no symbol at all: a silent network never makes mail spam.
            }
        }

        return CheckStatus.Failed;
    }
}
