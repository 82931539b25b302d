using System.IO.Pipelines;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Gateway.Metrics;
using SmtpServer;
using SmtpServer.IO;
using SmtpServer.Net;

namespace Gateway.Smtp;

/// <summary>
/// Caps concurrent SMTP sessions (SmtpServer has no such limit): a connection over the cap is told
/// <c>421 4.7.0</c> and closed before any session starts. Also reports the actual bound end points, so
/// port 0 works in tests.
/// </summary>
internal sealed class ConnectionLimitingListenerFactory(int maxConnections) : EndpointListenerFactory
{
    private readonly int _maxConnections = maxConnections;
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
                if (Interlocked.Increment(ref owner._active) <= owner._maxConnections)
                {
                    GatewayMetrics.SessionsActive.Inc();
                    GatewayMetrics.Sessions.Inc();
                    return new CountedPipe(pipe, owner);
                }

                Interlocked.Decrement(ref owner._active);
                GatewayMetrics.ConnectionsRefused.Inc();
                await RefuseAsync(pipe);

                // The inner listener adds these for each accepted client; the next one adds them again.
                context.Properties.Remove(EndpointListener.LocalEndPointKey);
                context.Properties.Remove(EndpointListener.RemoteEndPointKey);
            }
        }

        public void Dispose() => inner.Dispose();

        private static async Task RefuseAsync(ISecurableDuplexPipe pipe)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await pipe.Output.WriteAsync("421 4.7.0 Too many connections, try again later\r\n"u8.ToArray(), timeout.Token);
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
    private sealed class CountedPipe(ISecurableDuplexPipe inner, ConnectionLimitingListenerFactory owner) : ISecurableDuplexPipe
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
                Interlocked.Decrement(ref owner._active);
                GatewayMetrics.SessionsActive.Dec();
            }

            inner.Dispose();
        }
    }
}
