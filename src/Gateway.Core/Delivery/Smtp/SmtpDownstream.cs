using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Security.Authentication;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery.Routing;
using Microsoft.Extensions.Logging;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Delivery.Smtp;

/// <summary>
/// One downstream mail server over SMTP, with a small pool of idle connections: a connection goes back
/// to the pool only after a transaction ended cleanly (final DATA reply or RSET answered 250), so a
/// reused connection is always between transactions. What it learns about the server's health (it
/// would not take a session, or a connection broke) goes to the shared <see cref="ServerHealth"/>.
/// </summary>
public sealed partial class SmtpDownstream : IDownstream
{
    /// <summary>Below Postfix's default smtpd idle timeout (300 s), so we drop idle connections before it does.</summary>
    private static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(60);

    /// <summary>MAIL parameters we pass on when the downstream supports them.</summary>
    private static readonly string[] MirroredParameters = ["BODY", "SMTPUTF8", "SIZE"];

    private readonly string _localName;
    private readonly ServerHealth _health;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<(SmtpClientConnection Connection, DateTime IdleSince)> _idle = new();

    public SmtpDownstream(DownstreamServer server, string localName, ServerHealth health, ILogger logger)
    {
        Server = server;
        _localName = localName;
        _health = health;
        _logger = logger;
    }

    public DownstreamServer Server { get; }

    public async Task<DownstreamOpenResult> BeginAsync(string? sender, IReadOnlyDictionary<string, string> mailParameters, CancellationToken cancellationToken, string? firstRecipient = null) =>
        (await OpenAsync(sender, mailParameters, cancellationToken, firstRecipient)).Result;

    /// <summary>As <see cref="BeginAsync"/>, and whether the server itself failed (no session): then another may be tried.</summary>
    internal async Task<(DownstreamOpenResult Result, bool ServerFailed)> OpenAsync(string? sender, IReadOnlyDictionary<string, string> mailParameters, CancellationToken cancellationToken, string? firstRecipient)
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
                connection ??= await SmtpClientConnection.ConnectAsync(Server, _localName, cancellationToken);
                _health.MarkUp(Server);
                if (!connection.Extensions.ContainsKey("SMTPUTF8") && (SmtpUtf8.Needed(sender) || SmtpUtf8.Needed(firstRecipient)))
                {
                    // RFC 6531 3.5: never downgrade an address; the sender can reach it another way.
                    await ReleaseAsync(connection, needsReset: false);
                    return (new DownstreamOpenResult(null, SmtpUtf8.NotSupported), false);
                }

                var (reply, first) = await MailAsync(connection, MailCommand(sender, mailParameters, connection), firstRecipient, cancellationToken);
                if (reply.Code == 250)
                {
                    return (new DownstreamOpenResult(new SmtpDownstreamTransaction(this, connection), reply, first), false);
                }

                await ReleaseAsync(connection, needsReset: false);
                return (new DownstreamOpenResult(null, MapRefusal(reply)), false);
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

                ConnectionFailed(exception, cancellationToken);
                return (new DownstreamOpenResult(null, exception switch
                {
                    DownstreamRefusedException refused => DeliveryReplies.ForSessionRefusal(refused.Reply),
                    AuthenticationException => DeliveryReplies.TlsFailed,
                    _ => DeliveryReplies.ForFailure(exception),
                }), !cancellationToken.IsCancellationRequested);
            }
        }

        return (new DownstreamOpenResult(null, DeliveryReplies.ConnectionLost), false);
    }

    /// <summary>
    /// A connection to the server failed, or broke (or timed out) mid-transaction: the next messages try
    /// another server first. Not when the session was cancelled: our client leaving is no fault of the server's.
    /// </summary>
    internal void ConnectionFailed(Exception exception, CancellationToken cancellationToken)
    {
        Log.DownstreamFailed(_logger, Server.Name, exception.Message);
        if (!cancellationToken.IsCancellationRequested)
        {
            _health.MarkDown(Server, exception.Message);
        }
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
                using var quick = new CancellationTokenSource(Server.Timeout);
                var reset = await connection.CommandAsync("RSET", quick.Token);
                needsReset = reset.Code != 250;
            }
            catch (Exception exception) when (IsConnectionFailure(exception))
            {
                // Unusable now; disposed below.
            }
        }

        if (connection.IsUsable && !needsReset && _idle.Count < Server.PoolSize)
        {
            _idle.Enqueue((connection, DateTime.UtcNow));
            return;
        }

        await connection.DisposeAsync();
    }

    public static bool IsConnectionFailure(Exception exception) =>
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
        [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Downstream {Server} failed: {Reason}")]
        public static partial void DownstreamFailed(ILogger logger, string server, string reason);
    }
}
