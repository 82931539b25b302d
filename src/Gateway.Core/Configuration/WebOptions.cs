namespace Gateway.Core.Configuration;

/// <summary>
/// The web console (gateway.yaml <c>web:</c>): off until <see cref="Listen"/> names an address. Administrators
/// sign in with accounts of <see cref="UsersFile"/> (<c>gateway web user add NAME</c>); HTTPS with
/// <see cref="Certificate"/>, or behind a reverse proxy of <see cref="TrustedProxies"/>.
/// </summary>
public sealed record WebOptions
{
    /// <summary>IP:port to serve on; empty: no console.</summary>
    public string Listen { get; init; } = string.Empty;

    /// <summary>PEM certificate for HTTPS (with <see cref="Key"/>, or the key in the same file); none: plain HTTP, for loopback or a TLS proxy.</summary>
    public string? Certificate { get; init; }

    public string? Key { get; init; }

    /// <summary>The address users reach the console at (links in mail); defaults to the listener's.</summary>
    public string? PublicUrl { get; init; }

    /// <summary>Networks (CIDR) of reverse proxies whose X-Forwarded-For/-Proto are believed; nobody else's are.</summary>
    public List<string> TrustedProxies { get; init; } = [];

    /// <summary>Administrators' accounts, password hashes only (ASP.NET Core Identity's PBKDF2 format); relative to the config file.</summary>
    public string UsersFile { get; init; } = "data/web-users.json";

    /// <summary>Keys that protect sign-in cookies and form tokens; instances behind one name must share the folder.</summary>
    public string KeysDirectory { get; init; } = "data/web-keys";

    /// <summary>How long the link in a recipient's digest opens their own held mail.</summary>
    public TimeSpan LinkLifetime { get; init; } = TimeSpan.FromDays(7);

    /// <summary>A session idle this long signs out.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Administrators sign in at the site's OpenID Connect provider too (beside local accounts); none: local accounts only.</summary>
    public OidcOptions? Oidc { get; init; }

    public bool IsEnabled => Listen.Length > 0;

    public TlsOptions Tls => new() { Certificate = Certificate, Key = Key };

    internal void Validate(ConfigErrors errors, string baseFolder)
    {
        if (!IsEnabled)
        {
            return;
        }

        errors.Require(ListenAddress.TryParse(Listen, 443, out _), "web.listen", $"'{Listen}' is not an IP address with optional port");
        errors.Require(Key is null || Certificate is not null, "web.key", "a key needs a certificate");
        if (Certificate is not null)
        {
            var tls = new ConfigErrors();
            Tls.Validate(tls, baseFolder);
            foreach (var error in tls.Items)
            {
                errors.Add("web.certificate", error.Message);
            }
        }

        errors.Require(PublicUrl is null || (Uri.TryCreate(PublicUrl, UriKind.Absolute, out var url) && url.Scheme is "https" or "http"), "web.public_url", $"'{PublicUrl}' is not an http(s) URL");
        for (var i = 0; i < TrustedProxies.Count; i++)
        {
            errors.Require(System.Net.IPNetwork.TryParse(TrustedProxies[i], out _), $"web.trusted_proxies.{i}", $"'{TrustedProxies[i]}' is not a CIDR network");
        }

        errors.Require(!string.IsNullOrWhiteSpace(UsersFile), "web.users_file", "must name a file");
        errors.Require(!string.IsNullOrWhiteSpace(KeysDirectory), "web.keys_directory", "must name a folder");
        errors.Require(SessionTimeout > TimeSpan.Zero, "web.session_timeout", "must be more than 0");
        Oidc?.Validate(errors);
        errors.Require(LinkLifetime > TimeSpan.Zero && LinkLifetime <= TimeSpan.FromDays(90), "web.link_lifetime", "must be more than 0 and at most 90 days");
    }
}
