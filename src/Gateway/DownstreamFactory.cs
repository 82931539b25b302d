using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Delivery.Directory;
using Gateway.Core.Delivery.Smtp;
using Microsoft.Extensions.Logging;

namespace Gateway;

/// <summary>The downstream gateway.yaml names: a mail server, or a directory when no host is set. Shared by `run` and `quarantine release`.</summary>
internal static class DownstreamFactory
{
    public const string DefaultDirectory = "data/delivered";

    public static IDownstream Create(GatewayOptions options, ILoggerFactory loggerFactory) => options.Downstream.IsDirectory
        ? new DirectoryDownstream(options.Downstream.Directory ?? DefaultDirectory, loggerFactory.CreateLogger<DirectoryDownstream>())
        : new SmtpDownstream(options.Downstream, options.Hostname, loggerFactory.CreateLogger<SmtpDownstream>());
}
