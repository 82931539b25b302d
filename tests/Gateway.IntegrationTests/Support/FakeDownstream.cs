using System.Buffers;
using System.Collections.Concurrent;
using SmtpServer;
using SmtpServer.Mail;
using SmtpServer.Net;
using SmtpServer.Protocol;
using SmtpServer.Storage;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A downstream SMTP server on a real loopback socket that the test steers: refuse chosen recipients,
/// answer DATA with a chosen reply, or stall. It records each message's envelope and exact bytes.
/// (npgsql's PgPostmasterMock pattern; Postfix's smtp-sink covers the plain accept-everything case.)
/// </summary>
internal sealed class FakeDownstream : IAsyncDisposable
{
    private readonly SmtpServer.SmtpServer _server;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _running;
    private readonly TaskCompletionSource<IPEndPoint> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FakeDownstream()
    {
        var listeners = new EndpointListenerFactory();
        listeners.EndpointStarted += (_, args) => _started.TrySetResult((IPEndPoint)args.LocalEndPoint);
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(listeners);
        services.Add(new Filter(this));
        services.Add(new Store(this));
        var options = new SmtpServerOptionsBuilder()
            .ServerName("downstream.example.test")
            .Endpoint(endpoint => endpoint.Endpoint(new IPEndPoint(IPAddress.Loopback, 0)))
            .Build();
        _server = new SmtpServer.SmtpServer(options, services);
        // Sessions that said EHLO: readiness probes only connect, read the greeting and QUIT.
        _server.SessionCreated += (_, args) => args.Context.CommandExecuted += (_, command) =>
        {
            if (command.Command is EhloCommand)
            {
                Interlocked.Increment(ref Sessions);
            }
        };
        _running = _server.StartAsync(_stop.Token);
    }

    public IPEndPoint EndPoint { get; private set; } = null!;

    public ConcurrentQueue<ReceivedMessage> Messages { get; } = new();

    public HashSet<string> RefusedRecipients { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The reply to DATA; null means 250.</summary>
    public SmtpResponse? DataReply { get; set; }

    public TimeSpan DataDelay { get; set; } = TimeSpan.Zero;

    public int MailCommands;

    public int Sessions;

    public static async Task<FakeDownstream> StartAsync()
    {
        var downstream = new FakeDownstream();
        downstream.EndPoint = await downstream._started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return downstream;
    }

    public async ValueTask DisposeAsync()
    {
        _server.Shutdown();
        await _stop.CancelAsync();
        await Task.WhenAny(_running, Task.Delay(5000));
    }

    public sealed record ReceivedMessage(string From, IReadOnlyList<string> To, byte[] Raw);

    private sealed class Filter(FakeDownstream owner) : IMailboxFilter
    {
        public Task<bool> CanAcceptFromAsync(ISessionContext context, IMailbox from, int size, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref owner.MailCommands);
            return Task.FromResult(true);
        }

        public Task<bool> CanDeliverToAsync(ISessionContext context, IMailbox to, IMailbox from, CancellationToken cancellationToken) =>
            owner.RefusedRecipients.Contains(to.AsAddress())
                ? throw new SmtpResponseException(new SmtpResponse(SmtpReplyCode.MailboxUnavailable, $"5.1.1 <{to.AsAddress()}>: Recipient address rejected: User unknown"))
                : Task.FromResult(true);
    }

    private sealed class Store(FakeDownstream owner) : IMessageStore
    {
        public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            if (owner.DataDelay > TimeSpan.Zero)
            {
                await Task.Delay(owner.DataDelay, cancellationToken);
            }

            if (owner.DataReply is { } reply)
            {
                return reply;
            }

            owner.Messages.Enqueue(new ReceivedMessage(transaction.From.AsAddress() ?? string.Empty, [.. transaction.To.Select(to => to.AsAddress())], buffer.ToArray()));
            return new SmtpResponse(SmtpReplyCode.Ok, "2.0.0 Ok: queued");
        }
    }
}
