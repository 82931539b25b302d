using System.Security.Cryptography;
using Gateway.Core.Configuration;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Web;

/// <summary>
/// The signed, expiring link in a recipient's digest that opens their own held mail without a password: the
/// address sealed (authenticated encryption) by ASP.NET Core data protection with the keys in
/// web.keys_directory, which every instance and `gateway quarantine digest` share, with its expiry inside.
/// An altered or expired link opens nothing.
/// </summary>
public sealed class RecipientLinks
{
    private const string Purpose = "gateway.recipient-link.v1";
    private readonly ITimeLimitedDataProtector _protector;
    private readonly string _baseUrl;
    private readonly TimeSpan _lifetime;

    internal RecipientLinks(IDataProtectionProvider provider, string baseUrl, TimeSpan lifetime)
    {
        _protector = provider.CreateProtector(Purpose).ToTimeLimitedDataProtector();
        _baseUrl = baseUrl.TrimEnd('/');
        _lifetime = lifetime;
    }

    /// <summary>From gateway.yaml, for a process without the console (the digest): the same keys, the same application name.</summary>
    public static RecipientLinks For(GatewayOptions options) =>
        new(DataProtectionProvider.Create(new DirectoryInfo(Path.GetFullPath(options.Web.KeysDirectory, options.BaseFolder)), setup => setup.SetApplicationName(WebConsole.ApplicationName)), BaseUrl(options.Web), options.Web.LinkLifetime);

    internal static string BaseUrl(WebOptions web) => web.PublicUrl ?? $"{(web.Certificate is null ? "http" : "https")}://{web.Listen}";

    public string LinkFor(string recipient) => LinkFor(recipient, DateTimeOffset.UtcNow + _lifetime);

    public string LinkFor(string recipient, DateTimeOffset expires) => $"{_baseUrl}/r/{_protector.Protect(recipient.ToLowerInvariant(), expires)}";

    /// <summary>The recipient a link's token was made for; null when it was altered, made with other keys, or has expired.</summary>
    public string? RecipientOf(string token)
    {
        try
        {
            return _protector.Unprotect(token, out _);
        }
        catch (CryptographicException)
        {
            return null;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
