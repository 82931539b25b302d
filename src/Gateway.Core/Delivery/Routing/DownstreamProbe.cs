using Gateway.Core.Configuration;
using Gateway.Core.Delivery.Smtp;

namespace Gateway.Core.Delivery.Routing;

/// <summary>
/// Whether a downstream server takes a session as delivery opens one — greeting, EHLO, STARTTLS with the
/// same certificate checks — then QUIT, no transaction. For /ready and <c>gateway config check --connect</c>.
/// </summary>
public static class DownstreamProbe
{
    /// <summary>Null when the server took the session, else why not, in a few words.</summary>
    public static async Task<string?> FailureAsync(DownstreamServer server, string localName, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = await SmtpClientConnection.ConnectAsync(server, localName, cancellationToken);
            return null;
        }
        catch (DownstreamRefusedException refused)
        {
            return $"refused the session: {refused.Reply.Code} {refused.Reply.EnhancedCode} {refused.Reply.Text}".Replace("  ", " ", StringComparison.Ordinal);
        }
        catch (Exception exception) when (SmtpDownstream.IsConnectionFailure(exception))
        {
            return cancellationToken.IsCancellationRequested ? "no answer in time" : exception.Message;
        }
    }
}
