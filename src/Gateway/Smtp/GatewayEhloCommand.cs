using SmtpServer;
using SmtpServer.Protocol;

namespace Gateway.Smtp;

/// <summary>
/// EHLO with the extensions we support. SmtpServer's own list lacks ENHANCEDSTATUSCODES (we write enhanced
/// codes in every reply) and takes SIZE from its own limit, which we leave unset so that our mailbox
/// filter answers an oversize SIZE with 552 5.3.4 instead of the library's bare 552.
/// </summary>
internal sealed class GatewayEhloCommand(string domainOrAddress, int maxMessageSize) : EhloCommand(domainOrAddress)
{
    protected override string GetGreeting(ISessionContext context) => $"{context.ServerOptions.ServerName} Hello {DomainOrAddress}";

    protected override IEnumerable<string> GetExtensions(ISessionContext context)
    {
        foreach (var extension in base.GetExtensions(context))
        {
            if (!extension.StartsWith("SIZE", StringComparison.Ordinal))
            {
                yield return extension;
            }
        }

        yield return $"SIZE {maxMessageSize}";
        yield return "ENHANCEDSTATUSCODES";
    }
}

internal sealed class GatewayCommandFactory(int maxMessageSize) : SmtpCommandFactory
{
    public override SmtpCommand CreateEhlo(string domainOrAddress) => new GatewayEhloCommand(domainOrAddress, maxMessageSize);
}
