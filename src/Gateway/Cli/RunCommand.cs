using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Gateway.Cli;

/// <summary><c>gateway run</c>: serve until SIGTERM or Ctrl-C.</summary>
internal static class RunCommand
{
    public static async Task<int> RunAsync(IEnumerable<string> args, TextWriter error, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, new HashSet<string> { "--config" }, new HashSet<string> { "--offline" });
        if (parsed.Positional.Count > 0)
        {
            throw new UsageException($"run takes no arguments, got '{parsed.Positional[0]}'");
        }

        var config = ConfigSource.Load(parsed.Value("--config"));
        using var loggerFactory = Logging.Create(config.Options.Logging.Format);
        var logger = loggerFactory.CreateLogger("Gateway");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });

        GatewayHost host;
        try
        {
            host = await GatewayHost.StartAsync(config.Options, config.RulesFolder, loggerFactory, stop.Token, offline: parsed.Has("--offline"));
        }
        catch (SocketException exception)
        {
            await error.WriteLineAsync($"gateway: cannot listen on {string.Join(", ", config.Options.Listen)}: {exception.Message}");
            return 1;
        }

        await using (host)
        {
            logger.LogInformation("Gateway {Version} listening on {EndPoints} with {Config}{Offline}; rules from {Rules}, model {Model}", Program.Version, string.Join(", ", host.EndPoints), config.DisplayName, parsed.Has("--offline") ? " (offline: no DNS checks)" : string.Empty, config.RulesFolder, config.Options.Classifier.Enabled ? config.Options.Classifier.ModelPath(config.Options.BaseFolder) : "off");
            try
            {
                await Task.WhenAny(host.Completion, Task.Delay(Timeout.Infinite, stop.Token));
            }
            catch (OperationCanceledException)
            {
                // Stopping.
            }

            logger.LogInformation("Stopping");
        }

        return 0;
    }
}
