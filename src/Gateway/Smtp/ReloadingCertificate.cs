using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Gateway.Core.Configuration;
using Microsoft.Extensions.Logging;

namespace Gateway.Smtp;

/// <summary>
/// One certificate file (and key), reloaded when the files change: each STARTTLS compares the files' write
/// times, two stat calls, and reloads if they moved. A renewal that cannot be loaded (half written, key
/// mismatch) keeps the previous certificate and is logged; the next handshake tries again. Stat-on-use
/// rather than a file watcher, because renewals swap symlinks, which watchers miss.
/// </summary>
internal sealed class ReloadingCertificate
{
    private readonly string _certificateFile;
    private readonly string? _keyFile;
    private readonly string _baseFolder;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();

    /// <summary>The certificate and its handshake context, swapped together as one reference (a handshake never sees one without the other).</summary>
    private Loaded _current;
    private (DateTime Certificate, DateTime Key) _loadedStamps;

    public ReloadingCertificate(string certificateFile, string? keyFile, string baseFolder, ILogger logger)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        _baseFolder = baseFolder;
        _logger = logger;
        _loadedStamps = Stamps();
        _current = Load();
    }

    private sealed record Loaded(X509Certificate2 Certificate, SslStreamCertificateContext Context);

    /// <summary>
    /// The certificate with its chain, built once per (re)load instead of at every handshake: SslStream
    /// given a bare certificate builds its X509Chain for each session (measured as much CPU as the
    /// handshake itself, bench/RESULTS.md). The intermediates in the certificate file (a fullchain.pem)
    /// go with it, so clients get the whole chain.
    /// </summary>
    public SslStreamCertificateContext CurrentContext => Fresh().Context;

    public X509Certificate2 Current => Fresh().Certificate;

    /// <summary>The certificate as loaded, reloaded first when its files changed.</summary>
    private Loaded Fresh()
    {
        var stamps = Stamps();
        if (stamps == _loadedStamps)
        {
            return _current;
        }

        lock (_lock)
        {
            if (stamps != _loadedStamps)
            {
                Reload(stamps);
            }

            return _current;
        }
    }

    private Loaded Load()
    {
        var certificate = TlsOptions.Load(_certificateFile, _keyFile, _baseFolder);
        var inFile = new X509Certificate2Collection();
        inFile.ImportFromPemFile(Path.GetFullPath(_certificateFile, _baseFolder));
        var intermediates = new X509Certificate2Collection(inFile.Where(other => other.Thumbprint != certificate.Thumbprint).ToArray());
        return new Loaded(certificate, SslStreamCertificateContext.Create(certificate, intermediates, offline: true));
    }

    private void Reload((DateTime, DateTime) stamps)
    {
        try
        {
            var loaded = Load();
            if (!loaded.Certificate.HasPrivateKey)
            {
                throw new InvalidDataException("no private key");
            }

            _current = loaded; // the old one may still be in use by a handshake: left to the GC
            _loadedStamps = stamps;
            _logger.LogInformation("TLS certificate {File} reloaded: {Subject}, valid until {NotAfter:u}", _certificateFile, loaded.Certificate.Subject, loaded.Certificate.NotAfter.ToUniversalTime());
        }
        catch (Exception exception)
        {
            // Whatever the cause (a half-written file, a key of another kind): the handshake goes on with the old one.
            _logger.LogWarning("TLS certificate {File} changed but cannot be loaded ({Reason}); still using the previous one", _certificateFile, exception.Message);
        }
    }

    private (DateTime Certificate, DateTime Key) Stamps() =>
        (StampOf(_certificateFile), StampOf(_keyFile));

    private DateTime StampOf(string? path) =>
        path is null ? default : File.GetLastWriteTimeUtc(Path.GetFullPath(path, _baseFolder));
}
