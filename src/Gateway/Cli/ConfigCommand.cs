using System.Net.Sockets;
using Gateway.Core.Classification;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery.Routing;
using Gateway.Core.Scoring;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway config check [--config FILE] [--connect]</c>, like <c>rspamadm configtest</c> or <c>postfix
/// check</c>: gateway.yaml and everything it points at (the policy folder with its rules and lists, the
/// model, the TLS certificate, IMAP password files) and, with --connect, the servers it talks to
/// (downstream, Redis, clamd). Prints OK, or every problem on a line of its own (file:line:col where
/// there is a file); exit 0 or 1.
/// </summary>
internal static class ConfigCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, new HashSet<string> { "--config" }, new HashSet<string> { "--connect" });
        if (parsed.Positional is not ["check"])
        {
            throw new UsageException("config takes one verb: gateway config check [--config FILE] [--connect]");
        }

        ConfigSource config;
        try
        {
            config = ConfigSource.Load(parsed.Value("--config"));
        }
        catch (ConfigException exception)
        {
            // gateway.yaml itself is wrong: nothing it points at can be read reliably, so this is the whole report.
            await output.WriteLineAsync(exception.Message);
            return 1;
        }

        var problems = new List<string>();
        var options = config.Options;
        Try(problems, () => ScoringPolicy.LoadFolder(config.RulesFolder));
        if (options.Classifier.Enabled)
        {
            var model = options.Classifier.ModelPath(options.BaseFolder);
            Try(problems, () => _ = File.Exists(model) ? SpamModel.Load(model) : throw new ConfigException($"{model}: the model file does not exist (classifier.model; the gateway would run without the classifier)"));
        }

        if (options.Tls.IsEnabled)
        {
            Try(problems, () => options.Tls.LoadCertificate(options.BaseFolder).Dispose());
        }

        var routes = new DownstreamRoutes(options.Downstream, options.BaseFolder).All;
        foreach (var caFile in routes.SelectMany(route => route.Servers).Select(server => server.TlsCaFile).OfType<string>().Distinct())
        {
            try
            {
                Core.Delivery.Smtp.DownstreamCertificates.TrustedRoots(caFile);
            }
            catch (System.Security.Authentication.AuthenticationException exception)
            {
                problems.Add($"{config.DisplayName}: {exception.Message}");
            }
        }

        for (var i = 0; i < options.Learning.Imap.Count; i++)
        {
            var passwordFile = Path.GetFullPath(options.Learning.Imap[i].PasswordFile, options.BaseFolder);
            if (!File.Exists(passwordFile))
            {
                problems.Add($"{config.DisplayName}: learning.imap.{i}.password_file: {passwordFile} does not exist");
            }
        }

        // Folders the gateway writes into: found unwritable at the first held message, a 451 to a sender.
        Writable(problems, "quarantine.directory", options.Quarantine.FullPath(options.BaseFolder), "held messages would get 451 4.3.0");
        if (options.Downstream.Host is null)
        {
            Writable(problems, "downstream.directory", Path.GetFullPath(options.Downstream.Directory ?? GatewayHost.DefaultDirectory, options.BaseFolder), "accepted mail would get 451");
        }

        if (options.Learning.Enabled && !File.Exists(options.Learning.SecretPath(options.BaseFolder)))
        {
            Writable(problems, "learning.secret_file", Path.GetDirectoryName(options.Learning.SecretPath(options.BaseFolder))!, "the gateway could not create the site's secret and would not start");
        }

        if (parsed.Has("--connect"))
        {
            await ConnectAsync(problems, options, routes, cancellationToken);
        }

        foreach (var problem in problems)
        {
            await output.WriteLineAsync(problem);
        }

        await output.WriteLineAsync(problems.Count == 0 ? $"OK: {config.DisplayName} and the files it names" + (parsed.Has("--connect") ? ", and the servers it talks to" : string.Empty) : $"{problems.Count} problem(s)");
        return problems.Count == 0 ? 0 : 1;
    }

    /// <summary>Creates the folder if needed and writes and removes a file in it; a failure is a problem naming the key.</summary>
    private static void Writable(List<string> problems, string key, string folder, string consequence)
    {
        try
        {
            Directory.CreateDirectory(folder);
            var probe = Path.Combine(folder, $".gateway-write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, string.Empty);
            File.Delete(probe);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            problems.Add($"{key} {folder}: cannot write there ({exception.Message}); {consequence}");
        }
    }

    private static void Try(List<string> problems, Action load)
    {
        try
        {
            load();
        }
        catch (Exception exception) when (exception is ConfigException or IOException or UnauthorizedAccessException or InvalidOperationException or System.Security.Cryptography.CryptographicException or FormatException)
        {
            problems.AddRange(exception.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r')));
        }
    }

    /// <summary>Every downstream server takes a session (TLS as configured), Redis answers PONG, clamd PONG: each within 5 seconds.</summary>
    private static async Task ConnectAsync(List<string> problems, GatewayOptions options, IReadOnlyList<DownstreamRoutes.Route> routes, CancellationToken cancellationToken)
    {
        foreach (var route in routes)
        {
            foreach (var server in route.Servers)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                if (await DownstreamProbe.FailureAsync(server with { Timeout = TimeSpan.FromSeconds(5) }, options.Hostname, timeout.Token) is { } failure)
                {
                    problems.Add($"downstream {server.Name} (route {route.Name}): {failure}");
                }
            }
        }

        if (options.UsesState && options.State.Backend == StateBackend.Redis)
        {
            var pong = await ExchangeAsync(HostPort.Parse(options.State.Redis.Split(',')[0], 6379), "PING\r\n"u8.ToArray(), cancellationToken);
            if (!pong.StartsWith("+PONG", StringComparison.Ordinal) && !pong.StartsWith("-NOAUTH", StringComparison.Ordinal))
            {
                problems.Add($"state.redis {options.State.Redis}: {Described(pong, "not PONG")}");
            }
        }

        if (options.Antivirus.Enabled)
        {
            var clamd = options.Antivirus.Clamd;
            var pong = clamd.StartsWith('/')
                ? await ExchangeAsync(new UnixDomainSocketEndPoint(clamd), "zPING\0"u8.ToArray(), cancellationToken)
                : await ExchangeAsync(HostPort.Parse(clamd, 3310), "zPING\0"u8.ToArray(), cancellationToken);
            if (!pong.StartsWith("PONG", StringComparison.Ordinal))
            {
                problems.Add($"antivirus.clamd {clamd}: {Described(pong, "not PONG")}");
            }
        }
    }

    /// <summary>"no answer", a connection failure as it is, or what the server said instead.</summary>
    private static string Described(string reply, string expected) =>
        reply.Length == 0 ? "no answer within 5 s"
        : reply.StartsWith("cannot ", StringComparison.Ordinal) ? reply
        : $"answered '{reply.Trim('\0', '\r', '\n', ' ')}', {expected}";

    private static async Task<string> ExchangeAsync((string Host, int Port) server, byte[]? send, CancellationToken cancellationToken)
    {
        try
        {
            var address = IPAddress.TryParse(server.Host, out var literal) ? literal : (await System.Net.Dns.GetHostAddressesAsync(server.Host, cancellationToken))[0];
            return await ExchangeAsync(new IPEndPoint(address, server.Port), send, cancellationToken);
        }
        catch (SocketException exception)
        {
            return $"cannot resolve: {exception.Message}";
        }
    }

    /// <summary>Connects, optionally sends, and returns the first reply line (empty when nothing came within 5 s).</summary>
    private static async Task<string> ExchangeAsync(EndPoint endPoint, byte[]? send, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(5));
        using var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, endPoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, timeout.Token);
            if (send is not null)
            {
                await socket.SendAsync(send, timeout.Token);
            }

            var buffer = new byte[512];
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            return System.Text.Encoding.ASCII.GetString(buffer, 0, read).Split('\n')[0];
        }
        catch (SocketException exception)
        {
            return $"cannot connect: {exception.Message}";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return string.Empty;
        }
    }
}
