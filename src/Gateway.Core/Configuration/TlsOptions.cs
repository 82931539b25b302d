using System.Security.Cryptography.X509Certificates;

namespace Gateway.Core.Configuration;

/// <summary>Inbound STARTTLS. Off until a certificate is configured; then EHLO offers STARTTLS (TLS 1.2 and 1.3).</summary>
public sealed record TlsOptions
{
    /// <summary>PEM certificate (chain) file.</summary>
    public string? Certificate { get; init; }

    /// <summary>PEM private key file; may be omitted when the key is in the certificate file.</summary>
    public string? Key { get; init; }

    public bool IsEnabled => !string.IsNullOrEmpty(Certificate);

    public X509Certificate2 LoadCertificate(string baseFolder)
    {
        var certificate = Path.GetFullPath(Certificate!, baseFolder);
        var key = Key is null ? null : Path.GetFullPath(Key, baseFolder);
        return X509Certificate2.CreateFromPemFile(certificate, key);
    }

    internal void Validate(ConfigErrors errors, string baseFolder)
    {
        if (!IsEnabled)
        {
            errors.Require(Key is null, "tls.key", "a key needs a certificate");
            return;
        }

        try
        {
            using var loaded = LoadCertificate(baseFolder);
            errors.Require(loaded.HasPrivateKey, "tls.certificate", "no private key found (set tls.key)");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            errors.Add("tls.certificate", $"cannot load certificate and key: {exception.Message}");
        }
    }
}
