using Gateway.Core.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Gateway.Web;

/// <summary>
/// Administrators' single sign-on (web.oidc): the console sends the browser to the site's OpenID Connect
/// provider (authorisation code with PKCE), takes the ID token it gets back for the code, and signs in as an
/// administrator only someone whose token carries admin_claim = admin_value. The session is then the
/// console's own cookie, as for a local account: the provider's tokens are not kept.
/// </summary>
internal static partial class SingleSignOn
{
    public const string Scheme = "oidc";
    private const string NotAdministrator = "not an administrator";

    public static void Add(AuthenticationBuilder authentication, OidcOptions oidc, CookieSecurePolicy secure, ILogger logger, string adminRole)
    {
        authentication.AddOpenIdConnect(Scheme, options =>
        {
            options.Authority = oidc.Authority;
            options.RequireHttpsMetadata = !oidc.AllowsHttp;
            options.ClientId = oidc.ClientId;
            options.ClientSecret = oidc.ClientSecret;
            options.ResponseType = OpenIdConnectResponseType.Code;
            // The code comes back on a GET: a form_post would be a cross-site POST, which SameSite=Lax correlation cookies do not survive.
            options.ResponseMode = OpenIdConnectResponseMode.Query;
            options.UsePkce = true;
            options.CallbackPath = "/signin-oidc";
            options.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
            options.SaveTokens = false;
            options.GetClaimsFromUserInfoEndpoint = false;
            options.MapInboundClaims = false;
            options.DisableTelemetry = true;
            options.Scope.Clear();
            foreach (var scope in oidc.Scopes)
            {
                options.Scope.Add(scope);
            }

            options.CorrelationCookie.SameSite = SameSiteMode.Lax;
            options.CorrelationCookie.SecurePolicy = secure;
            options.NonceCookie.SameSite = SameSiteMode.Lax;
            options.NonceCookie.SecurePolicy = secure;
            options.Events.OnTokenValidated = context =>
            {
                var token = context.Principal!;
                var name = token.FindFirst(oidc.NameClaim)?.Value ?? token.FindFirst("sub")?.Value ?? "?";
                if (!token.FindAll(oidc.AdminClaim).Any(claim => string.Equals(claim.Value, oidc.AdminValue, StringComparison.Ordinal)))
                {
                    Log.SignIn(logger, name, WebConsole.ClientOf(context.HttpContext), $"refused: {NotAdministrator} ({oidc.AdminClaim} has no '{oidc.AdminValue}')");
                    context.Fail(NotAdministrator);
                    return Task.CompletedTask;
                }

                Log.SignIn(logger, name, WebConsole.ClientOf(context.HttpContext), $"accepted ({oidc.DisplayName})");
                context.Principal = WebConsole.SessionOf(name, adminRole);
                return Task.CompletedTask;
            };
            // Whatever went wrong (refused, cancelled at the provider, a forged or replayed answer), the browser gets one
            // of our pages, never an exception page: not an administrator is told so, anything else to try again.
            options.Events.OnRemoteFailure = context =>
            {
                var refused = context.Failure?.Message == NotAdministrator;
                if (!refused)
                {
                    Log.SignIn(logger, "(single sign-on)", WebConsole.ClientOf(context.HttpContext), $"failed: {context.Failure?.Message}");
                }

                context.Response.Redirect(refused ? "/denied" : "/login?sso=failed");
                context.HandleResponse();
                return Task.CompletedTask;
            };
        });
    }

    public static void Map(WebApplication app)
    {
        app.MapGet("/login/sso", (HttpContext context) =>
            Results.Challenge(new AuthenticationProperties { RedirectUri = "/quarantine" }, [Scheme]));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "web: single sign-on as {User} from {Client}: {Outcome}")]
        public static partial void SignIn(ILogger logger, string user, string client, string outcome);
    }
}
