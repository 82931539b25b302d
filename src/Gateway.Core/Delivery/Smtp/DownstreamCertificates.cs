using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Gateway.Core.Configuration;

namespace Gateway.Core.Delivery.Smtp;

/// <summary>
/// How the downstream's certificate is judged, by downstream.tls:
/// <list type="bullet">
/// <item>opportunistic (RFC 7435): not at all — encryption against passive listeners, self-signed is fine;</item>
/// <item>required: the chain must reach a trusted root and name the host; the root is the system store,
/// or only the CAs of tls_ca_file when set (an internal CA pinned);</item>
/// <item>tls_fingerprint: the certificate must be exactly that one (its SHA-256), whoever signed it.</item>
/// </list>
/// A certificate that fails makes the handshake fail: nothing goes in clear, the client hears 451 4.7.5.
/// </summary>
public static class DownstreamCertificates
{
    /// <summary>
    /// The CAs of a tls_ca_file. A file that is missing, unreadable or holds no certificate is a TLS
    /// failure of that server (451 4.7.5, the server marked down), never a crashed session — it may be
    /// replaced while the gateway runs — and the same words in <c>gateway config check</c>.
    /// </summary>
    public static X509Certificate2Collection TrustedRoots(string caFile)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caFile);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new System.Security.Authentication.AuthenticationException($"downstream tls_ca_file {caFile}: {exception.Message}", exception);
        }

        return roots.Count > 0 ? roots : throw new System.Security.Authentication.AuthenticationException($"downstream tls_ca_file {caFile}: no certificate in it");
    }

    public static void Configure(SslClientAuthenticationOptions authentication, DownstreamServer server)
    {
        if (server.Tls == DownstreamTls.Opportunistic && server.TlsFingerprint is null && server.TlsCaFile is null)
        {
            authentication.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            return;
        }

        if (server.TlsFingerprint is { } fingerprint)
        {
            authentication.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())) == fingerprint;
            return;
        }

        if (server.TlsCaFile is { } caFile)
        {
            var roots = TrustedRoots(caFile);
            authentication.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            authentication.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }
    }
}
