using System.Reflection;
using Gateway.Cli;
using Gateway.Core.Configuration;

namespace Gateway;

public static class Program
{
    public static string Version =>
        typeof(Program).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static Task<int> Main(string[] args)
    {
        RunSocketContinuationsInline();

        // One write per log line: stderr's own writer flushes every 256 bytes, so a message's log line took two system calls.
        Console.SetError(new StreamWriter(Console.OpenStandardError(), new System.Text.UTF8Encoding(false), 16 * 1024) { AutoFlush = true });
        return RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
    }

    /// <summary>
    /// Socket completions run on .NET's socket event threads instead of being queued to the thread pool.
    /// Each SMTP message costs about a dozen socket waits on two connections, and every queued completion
    /// woke a pool thread (futex, spinning); inline, gateway CPU per relayed message fell by about 13 %
    /// (bench/RESULTS.md, "Third session"). The price: code after a socket await runs on an
    /// event thread that serves other connections too, so whatever may take long or block moves to the
    /// pool: the scan of a big message (<see cref="Smtp.GatewayMessageStore"/>) and fsynced file writes
    /// (<see cref="Core.Delivery.DurableFile"/>). .NET reads this variable once, before the first socket
    /// operation; an operator's own setting (0) wins.
    /// </summary>
    private static void RunSocketContinuationsInline()
    {
        const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }

    /// <summary>The whole CLI; tests call it in-process. Errors are one line on stderr and a non-zero exit.</summary>
    /// <param name="input">What commands read from stdin (a password for `web user add`); the console's own by default.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken, TextReader? input = null)
    {
        try
        {
            if (Help.Asked(args) && Help.Of(args[0]) is { } commandHelp)
            {
                await output.WriteLineAsync(commandHelp);
                return 0;
            }

            switch (args.FirstOrDefault())
            {
                case "--version":
                    await output.WriteLineAsync($"gateway {Version}");
                    return 0;
                case "run":
                    return await RunCommand.RunAsync(args.Skip(1), error, cancellationToken);
                case "check":
                    return await CheckCommand.RunAsync(args.Skip(1), output, error, cancellationToken);
                case "config":
                    return await ConfigCommand.RunAsync([.. args.Skip(1)], output, cancellationToken);
                case "rules":
                    return await RulesCommand.RunAsync([.. args.Skip(1)], output, error, cancellationToken);
                case "replay":
                    return await ReplayCommand.RunAsync([.. args.Skip(1)], output, error, cancellationToken);
                case "train":
                    return await TrainCommand.RunAsync([.. args.Skip(1)], output, cancellationToken);
                case "learn":
                    return await LearnCommand.RunAsync(args.Skip(1), output, error, cancellationToken);
                case "quarantine":
                    return await QuarantineCommand.RunAsync(args.Skip(1), output, cancellationToken);
                case "history":
                    return await HistoryCommand.RunAsync(args.Skip(1), output, TimeProvider.System);
                case "lists":
                    return await ListsCommand.RunAsync(args.Skip(1), output);
                case "web":
                    return await WebCommand.RunAsync(args.Skip(1), input ?? Console.In, output);
                case "help" when args.Length > 1:
                    await output.WriteLineAsync(Help.Of(args[1]) ?? throw new UsageException($"no command '{args[1]}' (try 'gateway help')"));
                    return 0;
                case null or "help" or "--help" or "-h":
                    await output.WriteLineAsync(Help.Overview);
                    return args.Length == 0 ? 2 : 0;
                default:
                    throw new UsageException($"unknown command '{args[0]}' (try 'gateway --help')");
            }
        }
        catch (ConfigException exception)
        {
            await error.WriteLineAsync(exception.Message);
            return 2;
        }
        catch (UsageException exception)
        {
            await error.WriteLineAsync($"gateway: {exception.Message}");
            return 2;
        }
        catch (FileNotFoundException exception)
        {
            await error.WriteLineAsync($"gateway: {exception.Message}");
            return 2;
        }
        catch (Core.State.StateUnavailableException exception)
        {
            await error.WriteLineAsync($"gateway: {exception.Message} (state.redis in the config)");
            return 1;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"gateway: {exception.Message}");
            return 1;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // A bug of ours: one line for the user, never a stack trace (set GATEWAY_DEBUG=1 to see it).
            await error.WriteLineAsync($"gateway: internal error: {exception.GetType().Name}: {exception.Message}");
            if (Environment.GetEnvironmentVariable("GATEWAY_DEBUG") == "1")
            {
                await error.WriteLineAsync(exception.ToString());
            }

            return 1;
        }
    }

}
