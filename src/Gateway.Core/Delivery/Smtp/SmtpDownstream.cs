using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Authentication;
using Gateway.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Core.Delivery.Smtp;

/// <summary>
/// The downstream mail server over SMTP, with a small pool of idle connections: a connection goes back
/// to the pool only after a transaction ended cleanly (final DATA reply or RSET answered 250), so a
/// reused connection is always between transactions.
/// </summary>
public sealed partial class SmtpDownstream : IDownstream
{
    /// <summary>Below Postfix's default smtpd idle timeout (300 s), so we drop idle connections before it does.</summary>
    private static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(60);

    /// <summary>MAIL parameters we pass on when the downstream supports them.</summary>
    private static readonly string[] MirroredParameters = ["BODY", "SMTPUTF8", "SIZE"];

    private readonly DownstreamOptions _options;
    private readonly string _localName;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<(SmtpClientConnection Connection, DateTime IdleSince)> _idle = new();

    public SmtpDownstream(DownstreamOptions options, string localName, ILogger logger)
    {
        _options = options;
        _localName = localName;
        _logger = logger;
    }

    public async Task<DownstreamOpenResult> BeginAsync(string? sender, IReadOnlyDictionary<string, string> mailParameters, CancellationToken cancellationToken, string? firstRecipient = null)
    {
        // A pooled connection may have been closed by the server meanwhile; then try once more on a fresh one.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            SmtpClientConnection? connection = null;
            var pooled = false;
            try
            {
                connection = TakeIdle();
                pooled = connection is not null;
                connection ??= await SmtpClientConnection.ConnectAsync(_options, _localName, cancellationToken);
                var (reply, first) = await MailAsync(connection, MailCommand(sender, mailParameters, connection), firstRecipient, cancellationToken);
                if (reply.Code == 250)
                {
                    return new DownstreamOpenResult(new SmtpDownstreamTransaction(this, connection), reply, first);
                }

                await ReleaseAsync(connection, needsReset: false);
                return new DownstreamOpenResult(null, MapRefusal(reply));
            }
            catch (Exception exception) when (pooled && IsConnectionFailure(exception))
            {
                await connection!.DisposeAsync();
            }
            catch (Exception exception) when (IsConnectionFailure(exception) || exception is DownstreamRefusedException)
            {
                if (connection is not null)
                {
                    await connection.DisposeAsync();
                }

                Log.DownstreamFailed(_logger, _options.Host!, _options.Port, exception.Message);
                return new DownstreamOpenResult(null, exception is DownstreamRefusedException refused ? DeliveryReplies.ForSessionRefusal(refused.Reply) : DeliveryReplies.ForFailure(exception));
            }
        }

        return new DownstreamOpenResult(null, DeliveryReplies.ConnectionLost);
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryDequeue(out var idle))
        {
            await idle.Connection.DisposeAsync();
        }
    }

    /// <summary>Called by a transaction when it is done with its connection.</summary>
    internal async Task ReleaseAsync(SmtpClientConnection connection, bool needsReset)
    {
        if (connection.IsUsable && needsReset)
        {
            try
            {
                using var quick = new CancellationTokenSource(_options.Timeout);
                var reset = await connection.CommandAsync("RSET", quick.Token);
                needsReset = reset.Code != 250;
            }
            catch (Exception exception) when (IsConnectionFailure(exception))
            {
                // Unusable now; disposed below.
            }
        }

        if (connection.IsUsable && !needsReset && _idle.Count < _options.PoolSize)
        {
            _idle.Enqueue((connection, DateTime.UtcNow));
            return;
        }

        await connection.DisposeAsync();
    }

    internal static bool IsConnectionFailure(Exception exception) =>
        exception is IOException or SocketException or TimeoutException or AuthenticationException or ObjectDisposedException or OperationCanceledException;

    /// <summary>5xx passes through; a 4xx to MAIL stays temporary but is worded as ours.</summary>
    private static SmtpReply MapRefusal(SmtpReply reply) => reply.IsPermanent ? reply : DeliveryReplies.ForData(reply);

    private SmtpClientConnection? TakeIdle()
    {
        while (_idle.TryDequeue(out var idle))
        {
            if (DateTime.UtcNow - idle.IdleSince < MaxIdle && idle.Connection.IsUsable)
            {
                return idle.Connection;
            }

            _ = idle.Connection.DisposeAsync().AsTask();
        }

        return null;
    }

    /// <summary>
    /// MAIL, and the first RCPT when there is one: pipelined when the server offers it (Postfix does the
    /// same), else one after the other. A refused MAIL leaves RCPT unsent, or its reply (503) unused.
    /// </summary>
    private static async Task<(DownstreamReply Mail, SmtpReply? FirstRecipient)> MailAsync(SmtpClientConnection connection, string mail, string? firstRecipient, CancellationToken cancellationToken)
    {
        if (firstRecipient is null)
        {
            return (await connection.CommandAsync(mail, cancellationToken), null);
        }

        var rcpt = SmtpDownstreamTransaction.RcptCommand(firstRecipient);
        if (connection.Extensions.ContainsKey("PIPELINING"))
        {
            var (mailReply, rcptReply) = await connection.PipelineAsync(mail, rcpt, cancellationToken);
            return (mailReply, rcptReply?.ToSmtpReply());
        }

        var reply = await connection.CommandAsync(mail, cancellationToken);
        return reply.Code == 250 ? (reply, await connection.CommandAsync(rcpt, cancellationToken)) : (reply, null);
    }

    private static string MailCommand(string? sender, IReadOnlyDictionary<string, string> parameters, SmtpClientConnection connection)
    {
        var command = $"MAIL FROM:<{sender}>";
        foreach (var name in MirroredParameters)
        {
            if (parameters.TryGetValue(name, out var value) && connection.Extensions.ContainsKey(name == "BODY" ? "8BITMIME" : name))
            {
                command += string.IsNullOrEmpty(value) ? $" {name}" : $" {name}={value}";
            }
        }

        return command;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Downstream {Host}:{Port} failed: {Reason}")]
        public static partial void DownstreamFailed(ILogger logger, string host, int port, string reason);
    }
}
