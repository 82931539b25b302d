using System.Collections.Concurrent;
using System.Net.Sockets;
using Gateway.Core.Delivery;
using Gateway.Metrics;
using Microsoft.Extensions.Logging;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;
using Gateway.Core.Pipeline;

namespace Gateway.Smtp.Admission;

/// <summary>What is decided about a connection before SmtpServer greets it.</summary>
internal sealed record AdmissionOptions(
    int MaxConnections,
    int MaxConnectionsPerIp,
    IReadOnlyList<IPNetwork>? ProxyProtocolFrom,
    StreamGuardOptions Limits,
    Phases.DialogueChecks? ConnectPhase,
    TlsCertificateSource? Certificates = null);

/// <summary>
/// Our own listener in front of SmtpServer's sessions (SmtpServer has no hook before its greeting). Each
/// connection is admitted on its own task, so a slow one never holds up the accept loop: the PROXY header
/// (v1 and v2, when proxy_protocol is on and the peer is in proxy_protocol_from) names the real client;
/// connection caps in all (a connection still owing its PROXY header counts) and per client address
/// answer 421 4.7.0; DNS lists with reject_at: connect answer 554 5.7.1 instead of a greeting; and
/// once shutdown has begun, new connections hear 421 4.3.2 until the gateway exits. Admitted connections
/// get a <see cref="ClientPipe"/> with the stream limits.
/// </summary>
internal sealed class AdmissionListenerFactory(AdmissionOptions options, ILogger logger) : IEndpointListenerFactory, IAsyncDisposable
{
    private readonly AdmissionOptions _options = options;
    private readonly ILogger _logger = logger;

    /// <summary>The client address after PROXY, in the session's properties (the TCP peer may be the balancer).</summary>
    public const string ClientEndPointKey = "Gateway:ClientEndPoint";

    private static readonly TimeSpan ProxyHeaderTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<IPAddress, int> _perIp = new();
    private readonly List<Listener> _listeners = [];
    private readonly CancellationTokenSource _closed = new();
    private int _active;

    public event EventHandler<IPEndPoint>? EndpointStarted;

    public IEndpointListener CreateListener(IEndpointDefinition endpointDefinition)
    {
        var listener = new Listener(this, endpointDefinition.Endpoint);
        lock (_listeners)
        {
            _listeners.Add(listener);
        }

        EndpointStarted?.Invoke(this, listener.LocalEndPoint);
        return listener;
    }

    /// <summary>Stops listening for good (after the drain): from here on, connections are refused at TCP level.</summary>
    public async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync();
        List<Listener> listeners;
        lock (_listeners)
        {
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            await listener.StopAsync();
        }

        _closed.Dispose();
    }

    /// <summary>Takes one of max_connections' slots, or says why not. Taken before the PROXY header is read.</summary>
    private SmtpReply? EnterTotal()
    {
        if (Interlocked.Increment(ref _active) <= _options.MaxConnections)
        {
            return null;
        }

        Interlocked.Decrement(ref _active);
        GatewayMetrics.ConnectionsRefused.WithLabels("total").Inc();
        return SmtpReplies.TooManyConnections;
    }

    /// <summary>Takes one of the client address's max_connections_per_ip slots, or says why not.</summary>
    private SmtpReply? EnterClient(IPAddress client)
    {
        if (_perIp.AddOrUpdate(client, 1, (_, count) => count + 1) <= _options.MaxConnectionsPerIp)
        {
            return null;
        }

        ReleaseClient(client);
        GatewayMetrics.ConnectionsRefused.WithLabels("per_ip").Inc();
        return SmtpReplies.TooManyConnectionsFromYou;
    }

    private void ReleaseTotal() => Interlocked.Decrement(ref _active);

    private void ReleaseClient(IPAddress client)
    {
        if (_perIp.AddOrUpdate(client, 0, (_, count) => count - 1) <= 0)
        {
            _perIp.TryRemove(new KeyValuePair<IPAddress, int>(client, 0));
        }
    }

    private static IPAddress Plain(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private sealed record Admitted(ClientPipe Pipe, IPEndPoint Peer, IPEndPoint Client);

    private sealed class Listener : IEndpointListener
    {
        private readonly AdmissionListenerFactory _owner;
        private readonly TcpListener _tcp;
        // Synchronous continuations: the admitting task hands the connection straight to SmtpServer's
        // waiting accept loop instead of queueing that to the thread pool, a wake-up per connection.
        private readonly System.Threading.Channels.Channel<Admitted> _admitted = System.Threading.Channels.Channel.CreateUnbounded<Admitted>(
            new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
        private readonly Task _acceptLoop;
        private volatile bool _closing;

        public Listener(AdmissionListenerFactory owner, IPEndPoint endPoint)
        {
            _owner = owner;
            _tcp = new TcpListener(endPoint);
            _tcp.Start();
            LocalEndPoint = (IPEndPoint)_tcp.LocalEndpoint;
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }

        public IPEndPoint LocalEndPoint { get; }

        public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
        {
            var admitted = await _admitted.Reader.ReadAsync(cancellationToken);
            context.Properties[EndpointListener.LocalEndPointKey] = LocalEndPoint;
            context.Properties[EndpointListener.RemoteEndPointKey] = admitted.Peer;
            context.Properties[ClientEndPointKey] = admitted.Client;
            return admitted.Pipe;
        }

        /// <summary>
        /// SmtpServer is shutting down and takes no more sessions. Keep the port open and tell newcomers
        /// 421 (RFC 5321 3.8) rather than a connection refused, until the factory is disposed.
        /// </summary>
        public void Dispose()
        {
            _closing = true;
            RefuseWaiting();
        }

        public async Task StopAsync()
        {
            _closing = true;
            _tcp.Stop();
            await _acceptLoop;
            RefuseWaiting();
        }

        /// <summary>Admitted connections no session will take any more.</summary>
        private void RefuseWaiting()
        {
            while (_admitted.Reader.TryRead(out var waiting))
            {
                GatewayMetrics.ConnectionsRefused.WithLabels("shutdown").Inc();
                _ = RefuseAsync(waiting.Pipe, SmtpReplies.ShuttingDown);
            }
        }

        private async Task AcceptLoopAsync()
        {
            while (true)
            {
                Socket socket;
                try
                {
                    socket = await _tcp.AcceptSocketAsync(_owner._closed.Token);
                }
                catch (Exception exception) when (exception is OperationCanceledException or ObjectDisposedException or SocketException or InvalidOperationException)
                {
                    // InvalidOperationException: "not listening", when Stop came between two accepts.
                    if (_owner._closed.IsCancellationRequested || exception is InvalidOperationException)
                    {
                        return;
                    }

                    continue; // one failed accept (the client reset first) is not the end of listening
                }

                _ = AdmitAsync(socket);
            }
        }

        /// <summary>
        /// Admits one connection on its own task, which nobody awaits: so nothing it did not expect may
        /// escape it with a slot or the socket still held (a slot lost per fault would end, after
        /// max_connections of them, in a gateway that greets nobody). What was taken is recorded as it is
        /// taken and given back here.
        /// </summary>
        private async Task AdmitAsync(Socket socket)
        {
            var held = new Held(socket);
            try
            {
                await AdmitAsync(held);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                _owner._logger.LogError(exception, "Admitting a connection failed; closed it");
                held.GiveBack(_owner);
            }
        }

        /// <summary>What an admission holds until it hands the connection over or refuses it.</summary>
        private sealed class Held(Socket socket)
        {
            public Socket Socket { get; } = socket;

            public bool Total { get; set; }

            public IPAddress? Client { get; set; }

            /// <summary>Once set, the pipe's own dispose gives back the slots.</summary>
            public ClientPipe? Pipe { get; set; }

            /// <summary>A refusal before the pipe exists gives back the total slot itself.</summary>
            public void ReleaseTotal(AdmissionListenerFactory owner)
            {
                owner.ReleaseTotal();
                Total = false;
            }

            /// <summary>SmtpServer's session (or RefuseWaiting) owns the connection now: nothing is held here any more.</summary>
            public void HandedOver() => (Pipe, Total, Client) = (null, false, null);

            public void GiveBack(AdmissionListenerFactory owner)
            {
                if (Pipe is { } pipe)
                {
                    pipe.Dispose();
                    return;
                }

                if (Client is { } client)
                {
                    owner.ReleaseClient(client);
                }

                if (Total)
                {
                    owner.ReleaseTotal();
                }

                Socket.Dispose();
            }
        }

        private async Task AdmitAsync(Held held)
        {
            var socket = held.Socket;
            // SmtpServer writes each reply on its own. With Nagle's algorithm on, the second reply to a
            // pipelined MAIL/RCPT/DATA group waited for the client's delayed ACK: ~40 ms per group from every
            // MTA that pipelines (Postfix, Exim, Exchange). Replies are whole lines; send them at once.
            socket.NoDelay = true;
            var network = new NetworkStream(socket, ownsSocket: true);
            var peer = (IPEndPoint)socket.RemoteEndPoint!;
            peer = new IPEndPoint(Plain(peer.Address), peer.Port);
            if (_closing)
            {
                GatewayMetrics.ConnectionsRefused.WithLabels("shutdown").Inc();
                await RefuseAsync(network, SmtpReplies.ShuttingDown);
                return;
            }

            // The slot is taken before the PROXY header is read: connections that never send it count too.
            if (_owner.EnterTotal() is { } full)
            {
                await RefuseAsync(network, full);
                return;
            }

            held.Total = true;

            var client = peer;
            if (_owner._options.ProxyProtocolFrom is { } balancers && balancers.Any(balancer => balancer.Contains(peer.Address)))
            {
                try
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_owner._closed.Token);
                    timeout.CancelAfter(ProxyHeaderTimeout);
                    if (await Gateway.Core.Network.ProxyProtocolHeader.ReadAsync(network, (buffer, token) => socket.ReceiveAsync(buffer, SocketFlags.Peek, token), timeout.Token) is { } source)
                    {
                        client = new IPEndPoint(Plain(source.Address), source.Port);
                    }
                }
                catch (Exception exception) when (exception is InvalidDataException or IOException or SocketException or OperationCanceledException or ObjectDisposedException)
                {
                    // Not from our balancer (or it gave up): no greeting, as the PROXY protocol asks. The header's
                    // look-ahead reads the socket itself, so a reset arrives as a SocketException, not an IOException.
                    held.ReleaseTotal(_owner);
                    GatewayMetrics.ConnectionsRefused.WithLabels("proxy").Inc();
                    _owner._logger.LogWarning("Connection from {Peer} closed: {Reason} (proxy_protocol is on)", peer, exception.Message);
                    await network.DisposeAsync();
                    return;
                }
            }

            if (_owner.EnterClient(client.Address) is { } tooMany)
            {
                held.ReleaseTotal(_owner);
                await RefuseAsync(network, tooMany);
                return;
            }

            held.Client = client.Address;
            GatewayMetrics.SessionsActive.Inc();
            var pipe = held.Pipe = new ClientPipe(network, _owner._options.Limits, _owner._options.Certificates, client.Address, () =>
            {
                _owner.ReleaseTotal();
                _owner.ReleaseClient(client.Address);
                GatewayMetrics.SessionsActive.Dec();
            });
            GatewayMetrics.Sessions.Inc();

            if (_owner._options.ConnectPhase is { HasConnectChecks: true } checks && await ConnectOutcomeAsync(checks, client.Address) is ({ IsContinue: false } refused, var by))
            {
                GatewayMetrics.ConnectionsRefused.WithLabels(by ?? "connect").Inc();
                _owner._logger.LogInformation("Connection from {Client} refused at connect: {Reply}", client.Address, refused.Reply);
                await RefusedSessionAsync(pipe, refused.Reply!);
                return;
            }

            _admitted.Writer.TryWrite(new Admitted(pipe, peer, client));
            held.HandedOver();
            if (_closing)
            {
                // Shutdown began while this one was being admitted: Dispose may have emptied the queue before it arrived.
                RefuseWaiting();
            }
        }

        private async Task<(Phases.DialogueOutcome, string?)> ConnectOutcomeAsync(Phases.DialogueChecks checks, IPAddress client)
        {
            try
            {
                return await checks.AtConnectAsync(client, _owner._closed.Token);
            }
            catch (Exception exception) when (exception is not OutOfMemoryException)
            {
                // A check that cannot decide never refuses (a DNS list we cannot ask: DATA still scores it, as NAME_ERROR).
                _owner._logger.LogWarning(exception, "Connect-time check for {Client} failed; admitting", client);
                return (Phases.DialogueOutcome.Continue, null);
            }
        }

        /// <summary>
        /// 554 instead of 220 (RFC 5321 3.1): the client should QUIT, and anything else it says before
        /// that gets 503. A few lines or seconds of that, then the connection closes.
        /// </summary>
        private static async Task RefusedSessionAsync(ClientPipe pipe, SmtpReply reply)
        {
            using (pipe)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await WriteLineAsync(pipe.Guard, reply, timeout.Token);
                    using var reader = new StreamReader(pipe.Guard, System.Text.Encoding.ASCII, false, 512, leaveOpen: true);
                    for (var lines = 0; lines < 5; lines++)
                    {
                        var line = await reader.ReadLineAsync(timeout.Token);
                        if (line is null)
                        {
                            return;
                        }

                        if (line.Trim().Equals("QUIT", StringComparison.OrdinalIgnoreCase))
                        {
                            await WriteLineAsync(pipe.Guard, SmtpReplies.Bye, timeout.Token);
                            return;
                        }

                        await WriteLineAsync(pipe.Guard, SmtpReplies.NoServiceHere, timeout.Token);
                    }
                }
                catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException)
                {
                    // Gone, too slow or too long-winded: the connection closes either way.
                }
            }
        }

        private static async Task WriteLineAsync(Stream stream, SmtpReply reply, CancellationToken cancellationToken)
        {
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(reply + "\r\n"), cancellationToken);
            await stream.FlushAsync(cancellationToken);
        }

        private static async Task RefuseAsync(IDisposable connection, SmtpReply reply)
        {
            using (connection)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    var stream = connection switch
                    {
                        ClientPipe pipe => (Stream)pipe.Guard,
                        Stream plain => plain,
                        _ => throw new ArgumentException("not a connection", nameof(connection)),
                    };
                    await WriteLineAsync(stream, reply, timeout.Token);
                }
                catch (Exception exception) when (exception is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    // The client is gone already.
                }
            }
        }
    }
}
