using System.IO.Pipelines;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Gateway.Metrics;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace Gateway.Smtp;

/// <summary>
/// Caps concurrent SMTP sessions, in all and per client address (SmtpServer has no such limits): a
/// connection over a cap is told <c>421 4.7.0</c> and closed before any session starts. Also reports the
/// actual bound end points, so port 0 works in tests.
/// </summary>
internal sealed class ConnectionLimitingListenerFactory(int maxConnections, int maxConnectionsPerIp) : EndpointListenerFactory
{
    private readonly int _maxConnections = maxConnections;
    private readonly int _maxConnectionsPerIp = maxConnectionsPerIp;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<IPAddress, int> _perIp = new();
    private int _active;

    public int Active => Volatile.Read(ref _active);

    public override IEndpointListener CreateListener(IEndpointDefinition endpointDefinition) =>
        new Listener(this, base.CreateListener(endpointDefinition));

    private sealed class Listener(ConnectionLimitingListenerFactory owner, IEndpointListener inner) : IEndpointListener
    {
        public async Task<ISecurableDuplexPipe> GetPipeAsync(ISessionContext context, CancellationToken cancellationToken)
        {
            while (true)
            {
                var pipe = await inner.GetPipeAsync(context, cancellationToken);
                var client = context.Properties.TryGetValue(EndpointListener.RemoteEndPointKey, out var remote) && remote is IPEndPoint endPoint
                    ? (endPoint.Address.IsIPv4MappedToIPv6 ? endPoint.Address.MapToIPv4() : endPoint.Address)
                    : IPAddress.None;
                var total = Interlocked.Increment(ref owner._active);
                var fromClient = owner._perIp.AddOrUpdate(client, 1, (_, count) => count + 1);
                if (total <= owner._maxConnections && fromClient <= owner._maxConnectionsPerIp)
                {
                    GatewayMetrics.SessionsActive.Inc();
                    GatewayMetrics.Sessions.Inc();
                    return new CountedPipe(pipe, owner, client);
                }

                owner.Release(client);
                var perIp = total <= owner._maxConnections;
                GatewayMetrics.ConnectionsRefused.WithLabels(perIp ? "per_ip" : "total").Inc();
                await RefuseAsync(pipe, perIp ? "421 4.7.0 Too many connections from your address, try again later\r\n"u8.ToArray() : "421 4.7.0 Too many connections, try again later\r\n"u8.ToArray());

                // The inner listener adds these for each accepted client; the next one adds them again.
                context.Properties.Remove(EndpointListener.LocalEndPointKey);
                context.Properties.Remove(EndpointListener.RemoteEndPointKey);
            }
        }

        public void Dispose() => inner.Dispose();

        private static async Task RefuseAsync(ISecurableDuplexPipe pipe, byte[] reply)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await pipe.Output.WriteAsync(reply, timeout.Token);
            }
            catch (Exception exception) when (exception is IOException or OperationCanceledException or InvalidOperationException)
            {
                // The client is gone already.
            }
            finally
            {
                pipe.Dispose();
            }
        }
    }

    /// <summary>Counts a session as active until SmtpServer disposes its pipe (which it does in every outcome).</summary>
    /// <summary>Gives back one connection slot, in all and for the client's address.</summary>
    private void Release(IPAddress client)
    {
        Interlocked.Decrement(ref _active);
        if (_perIp.AddOrUpdate(client, 0, (_, count) => count - 1) <= 0)
        {
            _perIp.TryRemove(new KeyValuePair<IPAddress, int>(client, 0));
        }
    }

    private sealed class CountedPipe(ISecurableDuplexPipe inner, ConnectionLimitingListenerFactory owner, IPAddress client) : ISecurableDuplexPipe
    {
        private int _disposed;

        public PipeReader Input => inner.Input;

        public PipeWriter Output => inner.Output;

        public bool IsSecure => inner.IsSecure;

        public SslProtocols SslProtocol => inner.SslProtocol;

        public Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default) =>
            inner.UpgradeAsync(certificate, protocols, cancellationToken);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(client);
                GatewayMetrics.SessionsActive.Dec();
            }

            inner.Dispose();
        }
    }
}
