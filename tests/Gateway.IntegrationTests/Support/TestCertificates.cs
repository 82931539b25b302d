using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Gateway.IntegrationTests.Support;

/// <summary>Certificates made for one test, as PEM files in a folder of their own.</summary>
internal static class TestCertificates
{
    /// <summary>A server certificate and key; <see cref="CaFile"/> is set when a test CA signed it.</summary>
    public sealed record Pem(string CertificateFile, string KeyFile, string? CaFile, string Sha256);

    public static Pem SelfSigned(string subject = "CN=gateway.example.test")
    {
        using var key = RSA.Create(2048);
        using var certificate = Request(subject, key).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return Write(certificate, key, ca: null);
    }

    /// <summary>A self-signed ECDSA P-256 certificate: the cheaper handshake (README, "TLS").</summary>
    public static Pem SelfSignedEcdsa(string subject = "CN=gateway.example.test")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest(subject, key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return Write(certificate, key, ca: null);
    }

    /// <summary>A test CA, and a certificate it issued for 127.0.0.1 and localhost (what the tests connect to).</summary>
    public static Pem IssuedByTestCa()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=Gateway Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var key = RSA.Create(2048);
        var request = Request("CN=mailbox.example.test", key);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(12));
        return Write(certificate, key, ca);
    }

    /// <summary>
    /// A root, an intermediate it issued, and a server certificate the intermediate issued, written as a
    /// fullchain file (the server certificate, then the intermediate) as certbot writes one.
    /// </summary>
    public static Pem IssuedByIntermediate()
    {
        using var rootKey = RSA.Create(2048);
        using var root = Authority("CN=Gateway Test Root", rootKey).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var intermediateKey = RSA.Create(2048);
        using var intermediateOnly = Authority("CN=Gateway Test Intermediate", intermediateKey).Create(root, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddDays(20), RandomNumberGenerator.GetBytes(12));
        using var intermediate = intermediateOnly.CopyWithPrivateKey(intermediateKey);
        using var key = RSA.Create(2048);
        using var certificate = Request("CN=mailbox.example.test", key).Create(intermediate, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(12));
        var pem = Write(certificate, key, root);
        File.AppendAllText(pem.CertificateFile, "\n" + intermediate.ExportCertificatePem() + "\n");
        return pem;
    }

    private static CertificateRequest Authority(string subject, RSA key)
    {
        var request = Request(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request;
    }

    private static CertificateRequest Request(string subject, RSA key) => new(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);

    private static Pem Write(X509Certificate2 certificate, AsymmetricAlgorithm key, X509Certificate2? ca)
    {
        var folder = Directory.CreateTempSubdirectory("tls-").FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101); // a Postfix instance reads them as its own user
        var certificateFile = Path.Combine(folder, "cert.pem");
        var keyFile = Path.Combine(folder, "key.pem");
        File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        string? caFile = null;
        if (ca is not null)
        {
            caFile = Path.Combine(folder, "ca.pem");
            File.WriteAllText(caFile, ca.ExportCertificatePem());
        }

        return new Pem(certificateFile, keyFile, caFile, Convert.ToHexString(SHA256.HashData(certificate.RawData)));
    }
}
