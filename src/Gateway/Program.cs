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
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        try
        {
            switch (args.FirstOrDefault())
            {
                case "--version":
                    await output.WriteLineAsync($"gateway {Version}");
                    return 0;
                case "run":
                    return await RunCommand.RunAsync(args.Skip(1), error, cancellationToken);
                case "check":
                    return await CheckCommand.RunAsync(args.Skip(1), output, cancellationToken);
                case "rules":
                    return await RulesCommand.RunAsync([.. args.Skip(1)], output, error, cancellationToken);
                case "replay":
                    return await ReplayCommand.RunAsync([.. args.Skip(1)], output, cancellationToken);
                case "train":
                    return await TrainCommand.RunAsync([.. args.Skip(1)], output, cancellationToken);
                case "learn":
                    return await LearnCommand.RunAsync(args.Skip(1), output, cancellationToken);
                case "quarantine":
                    return await QuarantineCommand.RunAsync(args.Skip(1), output, cancellationToken);
                case null or "help" or "--help" or "-h":
                    await output.WriteLineAsync(Usage);
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

    private const string Usage = """
        usage: gateway run [--config FILE] [--offline]
               gateway check [--config FILE] [--ip A] [--helo N] [--from ADDR] [--rcpt ADDR] [--offline] [--json] [--explain always|spam] PATH...
               gateway rules check [DIR] | gateway rules test [DIR]
               gateway replay --corpus DIR [--labels ham=DIR,spam=DIR] --rules NEWDIR [--config FILE]
               gateway train --ham DIR --spam DIR [--learned DIR] [--out models/spam.zip] [--min-per-class N] [--force]   (--ham, --spam, --learned may repeat)
               gateway learn spam|ham [--source NAME] [--no-caps] [--config FILE] PATH...   (files, directories, mbox)
               gateway learn imap [--config FILE]   (every mailbox in learning.imap) | gateway learn --imap imaps://HOST --user U [--password-file F] [--junk Junk] [--inbox INBOX] [--since-days N] [--store DIR]
               gateway learn stats [--json] | gateway learn forget --source NAME | --domain NAME   [--config FILE]
               gateway quarantine list|show ID|release ID [--no-learn]|delete ID [--spam]|expire|digest [--since-hours N] [--config FILE] [--json]
               gateway --version

        Without --config the built-in default gateway.yaml is used (delivery into ./data/delivered).
        """;
}
