using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using SmtpServer;
using SmtpServer.IO;

namespace Gateway.Smtp.Admission;

/// <summary>
/// One admitted client connection as SmtpServer's session pipe. Reads and writes go through a
/// <see cref="GuardedStream"/> that sits above TLS, so the limits see the protocol, not ciphertext.
/// </summary>
internal sealed class ClientPipe : ISecurableDuplexPipe
{
    private readonly NetworkStream _network;
    private readonly Action _onDispose;
    private readonly TlsCertificateSource? _certificates;
    private readonly TimeSpan _handshakeTimeout;
    private SslStream? _tls;
    private int _disposed;

    /// <param name="certificates">The certificates with their chains as of now (reloaded on renewal); null: the one SmtpServer passes.</param>
    /// <param name="client">The client's address (after PROXY), whose share of the message memory this connection's messages take.</param>
    public ClientPipe(NetworkStream network, StreamGuardOptions limits, TlsCertificateSource? certificates, IPAddress client, Action onDispose)
    {
        _network = network;
        _handshakeTimeout = limits.CommandTimeout;
        _certificates = certificates;
        _onDispose = onDispose;
        Guard = new GuardedStream(network, limits, TimeProvider.System, MessageMemoryBudget.ClientKey(client));
        Input = PipeReader.Create(Guard);
        Output = PipeWriter.Create(Guard);
    }

    public GuardedStream Guard { get; }

    public PipeReader Input { get; private set; }

    public PipeWriter Output { get; private set; }

    public bool IsSecure => _tls is not null;

    /// <summary>Whether replies leave without waiting for Nagle's algorithm (set on admission).</summary>
    public bool NoDelay => _network.Socket.NoDelay;

    public SslProtocols SslProtocol => _tls?.SslProtocol ?? SslProtocols.None;

    /// <summary>The guard of a session's pipe, when the session came through our listener.</summary>
    public static GuardedStream? GuardOf(ISessionContext context) => (context.Pipe as ClientPipe)?.Guard;

    public async Task UpgradeAsync(X509Certificate certificate, SslProtocols protocols, CancellationToken cancellationToken = default)
    {
        // A client that says STARTTLS and then never starts the handshake waits like any idle client:
        // limits.command_timeout, not the whole session_timeout.
        using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshake.CancelAfter(_handshakeTimeout);
        var options = new SslServerAuthenticationOptions
        {
            ClientCertificateRequired = false,
            EnabledSslProtocols = protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        Stream transport = _network;
        if (_certificates is null)
        {
            options.ServerCertificate = certificate;
        }
        else if (!_certificates.ServesRsaAndEcdsa)
        {
            options.ServerCertificateContext = _certificates.ContextFor(clientTakesEcdsa: false);
        }
        else
        {
            // RSA and ECDSA configured: read the ClientHello first, choose, and let SslStream read it again.
            var hello = await TlsClientHello.ReadFirstRecordAsync(_network, handshake.Token);
            options.ServerCertificateContext = _certificates.ContextFor(TlsClientHello.TakesEcdsaP256(hello.Span));
            transport = new ReplayStream(hello, _network);
        }

        var tls = new SslStream(transport, leaveInnerStreamOpen: true);
        try
        {
            await tls.AuthenticateAsServerAsync(options, handshake.Token);
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }

        _tls = tls;
        Guard.Replace(tls);
        Input = PipeReader.Create(Guard);
        Output = PipeWriter.Create(Guard);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Guard.EndConnection();
        _tls?.Dispose();
        _network.Dispose();
        _onDispose();
    }
}
