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
internal static class DownstreamCertificates
{
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
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(caFile);
            authentication.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            authentication.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        }
    }
}
