using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Delivery.Directory;
using Gateway.Core.Delivery.Routing;
using Microsoft.Extensions.Logging;

namespace Gateway;

/// <summary>The downstream gateway.yaml names: mail servers (one host, or routes), or a directory when none is set. Shared by `run` and `quarantine`.</summary>
internal static class DownstreamFactory
{
    public const string DefaultDirectory = "data/delivered";

    public static IDownstream Create(GatewayOptions options, ILoggerFactory loggerFactory) => options.Downstream.IsDirectory
        ? new DirectoryDownstream(options.Downstream.Directory ?? DefaultDirectory, loggerFactory.CreateLogger<DirectoryDownstream>())
        : new RoutedDownstream(options.Downstream, options.BaseFolder, options.Hostname, TimeProvider.System, loggerFactory);
}
