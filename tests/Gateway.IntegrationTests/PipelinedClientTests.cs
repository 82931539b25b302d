using Gateway.Smtp.Admission;
using Microsoft.Extensions.Logging.Abstractions;
using SmtpServer;
using SmtpServer.IO;

namespace Gateway.IntegrationTests;

/// <summary>Clients that pipeline (RFC 2920) hear every reply of a group without Nagle's wait.</summary>
public sealed class PipelinedClientTests
{
    [Fact(Timeout = 60_000)]
    public async Task An_admitted_connection_sends_replies_without_nagle_delay()
    {
        // Nagle held the second of two replies written back to back until the client's delayed ACK (~40 ms):
        // SmtpServer writes each reply of a pipelined MAIL/RCPT/DATA group separately.
        var limits = new StreamGuardOptions(1000, 1 << 20, 0, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30));
        await using var factory = new AdmissionListenerFactory(new AdmissionOptions(10, 10, null, limits, null), NullLogger.Instance);
        var started = new TaskCompletionSource<IPEndPoint>();
        factory.EndpointStarted += (_, endPoint) => started.TrySetResult(endPoint);
        using var listener = factory.CreateListener(new EndpointDefinitionBuilder().Endpoint(new IPEndPoint(IPAddress.Loopback, 0)).Build());
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(await started.Task);

        var pipe = Assert.IsType<ClientPipe>(await listener.GetPipeAsync(new BareSessionContext(), CancellationToken.None));

        using (pipe)
        {
            Assert.True(pipe.NoDelay);
        }
    }

    /// <summary>Just enough of a session for the listener to note the endpoints in.</summary>
    private sealed class BareSessionContext : ISessionContext
    {
        public Guid SessionId { get; } = Guid.NewGuid();

        public IServiceProvider ServiceProvider => throw new NotSupportedException();

        public ISmtpServerOptions ServerOptions => throw new NotSupportedException();

        public IEndpointDefinition EndpointDefinition => throw new NotSupportedException();

        public ISecurableDuplexPipe Pipe => throw new NotSupportedException();

        public AuthenticationContext Authentication => AuthenticationContext.Unauthenticated;

        public IDictionary<string, object> Properties { get; } = new Dictionary<string, object>();

        public event EventHandler<SmtpCommandEventArgs>? CommandExecuting { add { } remove { } }

        public event EventHandler<SmtpCommandEventArgs>? CommandExecuted { add { } remove { } }

        public event EventHandler<SmtpResponseExceptionEventArgs>? ResponseException { add { } remove { } }

        public event EventHandler<EventArgs>? SessionAuthenticated { add { } remove { } }
    }
}
