using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.IntegrationTests.Web;

/// <summary>
/// An OpenID Connect provider of the test's own, in-process on 127.0.0.2 (another site than the console on
/// 127.0.0.1, so the browser treats the round trip as cross-site, as with a real provider): discovery, keys,
/// an authorisation endpoint whose page lets <see cref="NextUser"/> continue (no password), and a token endpoint that
/// checks the client's secret and the PKCE verifier before it issues an RS256 ID token.
/// </summary>
internal sealed class TestOidcProvider : IAsyncDisposable
{
    public const string ClientId = "gateway-console";
    public const string ClientSecret = "test client secret";

    private readonly WebApplication _app;
    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, Grant> _codes = new();

    private TestOidcProvider(WebApplication app) => _app = app;

    public string Issuer { get; private set; } = string.Empty;

    /// <summary>Who the next sign-in is: preferred_username and the values of its "roles" claim.</summary>
    public (string Name, string[] Roles) NextUser { get; set; } = ("alice@example.test", ["gateway-admin"]);

    /// <summary>Token requests refused (wrong secret, code or verifier): a test can see the console's requests were right.</summary>
    public int Refused { get; private set; }

    public static async Task<TestOidcProvider> StartAsync()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Parse("127.0.0.2"), 0));
        builder.Services.AddLogging(logging => logging.ClearProviders());
        builder.Services.AddRouting();
        var app = builder.Build();
        var provider = new TestOidcProvider(app);
        provider.Map(app);
        await app.StartAsync();
        provider.Issuer = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return provider;
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = $"{Issuer}/authorize",
            ["token_endpoint"] = $"{Issuer}/token",
            ["jwks_uri"] = $"{Issuer}/jwks",
            ["response_types_supported"] = new[] { "code" },
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["code_challenge_methods_supported"] = new[] { "S256" },
        }));
        // A page of another site linking somewhere (webmail showing a digest): GET /page?link=URL.
        app.MapGet("/page", (string link) => Results.Content($"<!doctype html><title>Webmail</title><a href=\"{System.Net.WebUtility.HtmlEncode(link)}\">Your held mail</a>", "text/html"));
        app.MapGet("/jwks", () =>
        {
            var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_key.ExportParameters(false)) { KeyId = "test-key" });
            return Results.Json(new { keys = new[] { new { kty = "RSA", use = "sig", alg = "RS256", kid = jwk.Kid, n = jwk.N, e = jwk.E } } });
        });
        app.MapGet("/authorize", (HttpContext context) =>
        {
            var query = context.Request.Query;
            if (query["client_id"] != ClientId || query["response_type"] != "code" || query["code_challenge_method"] != "S256" || string.IsNullOrEmpty(query["code_challenge"]))
            {
                return Results.BadRequest("bad authorisation request");
            }

            var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            _codes[code] = new Grant(query["redirect_uri"].ToString(), query["nonce"].ToString(), query["code_challenge"].ToString(), NextUser.Name, NextUser.Roles);
            // A page of the provider's, as a real one shows its sign-in form: the way back starts on the provider's site.
            var back = System.Net.WebUtility.HtmlEncode($"{query["redirect_uri"]}?code={code}&state={Uri.EscapeDataString(query["state"].ToString())}");
            return Results.Content($"<!doctype html><title>Test IdP</title><a href=\"{back}\">Continue as {System.Net.WebUtility.HtmlEncode(NextUser.Name)}</a>", "text/html");
        });
        app.MapPost("/token", async (HttpContext context) =>
        {
            var form = await context.Request.ReadFormAsync();
            if (form["client_id"] != ClientId || form["client_secret"] != ClientSecret || form["grant_type"] != "authorization_code"
                || !_codes.TryRemove(form["code"].ToString(), out var grant) || grant.RedirectUri != form["redirect_uri"]
                || Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(form["code_verifier"].ToString()))) != grant.Challenge)
            {
                Refused++;
                return Results.BadRequest(new { error = "invalid_grant" });
            }

            var accessToken = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
            var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer,
                Audience = ClientId,
                IssuedAt = DateTime.UtcNow,
                NotBefore = DateTime.UtcNow.AddSeconds(-5),
                Expires = DateTime.UtcNow.AddMinutes(5),
                Claims = new Dictionary<string, object>
                {
                    ["sub"] = "subject-" + grant.Name,
                    ["nonce"] = grant.Nonce,
                    ["preferred_username"] = grant.Name,
                    ["roles"] = grant.Roles,
                    ["at_hash"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken))[..16]),
                },
                SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256),
            });
            return Results.Json(new { access_token = accessToken, token_type = "Bearer", expires_in = 300, id_token = idToken });
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }

    private sealed record Grant(string RedirectUri, string Nonce, string Challenge, string Name, string[] Roles);
}
