using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gateway.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Smtp;

/// <summary>
/// The inbound TLS certificates: tls.certificate, and tls.ecdsa_certificate beside it when set (served to
/// the clients whose ClientHello takes ECDSA, <see cref="Admission.TlsClientHello"/>). Each is reloaded when
/// its files change (certbot and cert-manager renew in place).
/// </summary>
internal sealed class TlsCertificateSource
{
    private readonly ReloadingCertificate _primary;
    private readonly ReloadingCertificate? _ecdsa;

    public TlsCertificateSource(TlsOptions options, string baseFolder, ILogger logger)
    {
        _primary = new ReloadingCertificate(options.Certificate!, options.Key, baseFolder, logger);
        _ecdsa = options.EcdsaCertificate is { } ecdsa ? new ReloadingCertificate(ecdsa, options.EcdsaKey, baseFolder, logger) : null;
    }

    /// <summary>Whether there is a choice to make per client: an RSA and an ECDSA certificate.</summary>
    public bool ServesRsaAndEcdsa => _ecdsa is not null;

    /// <summary>The certificate for a client: the ECDSA one when there is one and the client takes it, the main one otherwise.</summary>
    public SslStreamCertificateContext ContextFor(bool clientTakesEcdsa) =>
        (clientTakesEcdsa && _ecdsa is not null ? _ecdsa : _primary).CurrentContext;

    public X509Certificate2 Current => _primary.Current;
}
