using System.Security.Cryptography.X509Certificates;

namespace Gateway.Core.Configuration;

/// <summary>Inbound STARTTLS. Off until a certificate is configured; then EHLO offers STARTTLS (TLS 1.2 and 1.3).</summary>
public sealed record TlsOptions
{
    /// <summary>PEM certificate (chain) file.</summary>
    public string? Certificate { get; init; }

    /// <summary>PEM private key file; may be omitted when the key is in the certificate file.</summary>
    public string? Key { get; init; }

    /// <summary>
    /// A second certificate with an ECDSA P-256 key, served to clients that can verify it (almost all since
    /// about 2015) while <see cref="Certificate"/> (RSA) serves the rest: Postfix's smtpd_tls_eccert_file.
    /// </summary>
    public string? EcdsaCertificate { get; init; }

    /// <summary>Its private key file; may be omitted when the key is in the certificate file.</summary>
    public string? EcdsaKey { get; init; }

    public bool IsEnabled => !string.IsNullOrEmpty(Certificate);

    public X509Certificate2 LoadCertificate(string baseFolder) => Load(Certificate!, Key, baseFolder);

    /// <summary>A certificate (the first in the file) with its private key, paths relative to the configuration's folder.</summary>
    public static X509Certificate2 Load(string certificate, string? key, string baseFolder) =>
        X509Certificate2.CreateFromPemFile(Path.GetFullPath(certificate, baseFolder), key is null ? null : Path.GetFullPath(key, baseFolder));

    internal void Validate(ConfigErrors errors, string baseFolder)
    {
        if (!IsEnabled)
        {
            errors.Require(Key is null, "tls.key", "a key needs a certificate");
            errors.Require(EcdsaCertificate is null, "tls.ecdsa_certificate", "needs tls.certificate (the RSA one every client can use) beside it");
            errors.Require(EcdsaKey is null || EcdsaCertificate is not null, "tls.ecdsa_key", "a key needs a certificate");
            return;
        }

        var rsa = Check(errors, "tls.certificate", "tls.key", Certificate!, Key, baseFolder);
        if (EcdsaCertificate is null)
        {
            errors.Require(EcdsaKey is null, "tls.ecdsa_key", "a key needs a certificate (tls.ecdsa_certificate)");
            return;
        }

        var ecdsa = Check(errors, "tls.ecdsa_certificate", "tls.ecdsa_key", EcdsaCertificate, EcdsaKey, baseFolder);
        errors.Require(ecdsa is "ecdsa" or null, "tls.ecdsa_certificate", $"needs an ECDSA P-256 key, not {ecdsa} (README, \"TLS\", shows how to make one)");
        errors.Require(rsa is "rsa" or null, "tls.certificate", $"with tls.ecdsa_certificate set, this is the RSA certificate for clients that cannot take ECDSA, not {rsa} (one ECDSA certificate alone goes in tls.certificate)");
    }

    /// <summary>Loads one certificate and key; its key's kind ("rsa", "ecdsa", "ecdsa (not P-256)", "other"), or null when it cannot be used.</summary>
    private static string? Check(ConfigErrors errors, string certificatePath, string keyPath, string certificate, string? key, string baseFolder)
    {
        try
        {
            using var loaded = Load(certificate, key, baseFolder);
            if (!loaded.HasPrivateKey)
            {
                errors.Add(certificatePath, $"no private key found (set {keyPath})");
                return null;
            }

            using var ec = loaded.GetECDsaPublicKey();
            using var rsa = loaded.GetRSAPublicKey();
            return ec is not null
                ? ec.ExportParameters(false).Curve.Oid.Value == "1.2.840.10045.3.1.7" ? "ecdsa" : "ecdsa (not P-256)"
                : rsa is not null ? "rsa" : "other";
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            errors.Add(certificatePath, $"cannot load certificate and key: {exception.Message}");
            return null;
        }
    }
}
