namespace Gateway.Core.Configuration;

/// <summary>
/// Single sign-on for the web console's administrators (gateway.yaml <c>web: oidc:</c>): OpenID Connect's
/// authorisation-code flow with PKCE against the site's provider (Entra ID, Keycloak, Authentik...). The
/// provider says who someone is; <see cref="AdminClaim"/> = <see cref="AdminValue"/> says they administer the
/// console. Everyone else the provider signs in gets "not an administrator": signing in at the company's
/// provider must not be enough to release its quarantine.
/// </summary>
public sealed record OidcOptions
{
    /// <summary>The provider's issuer URL (its /.well-known/openid-configuration is read from there); https, or http on loopback for a lab.</summary>
    public string Authority { get; init; } = string.Empty;

    public string ClientId { get; init; } = string.Empty;

    /// <summary>The client's secret (a confidential client, as Entra ID and Keycloak register a web app); none for a public client.</summary>
    public string? ClientSecret { get; init; }

    /// <summary>The sign-in button's words: "Sign in with {DisplayName}".</summary>
    public string DisplayName { get; init; } = "single sign-on";

    /// <summary>The ID token's claim that names the person in the console's log and pages.</summary>
    public string NameClaim { get; init; } = "preferred_username";

    /// <summary>The ID token's claim that carries roles or groups (Entra ID: roles; Keycloak: groups or roles, as its mapper names it).</summary>
    public string AdminClaim { get; init; } = "roles";

    /// <summary>The value of <see cref="AdminClaim"/> that makes an administrator of the console (one of the claim's values).</summary>
    public string AdminValue { get; init; } = string.Empty;

    public List<string> Scopes { get; init; } = ["openid", "profile", "email"];

    /// <summary>An http authority only on a loopback address: a lab provider on the same machine, nothing across a network.</summary>
    public bool AllowsHttp => Uri.TryCreate(Authority, UriKind.Absolute, out var url) && url.Scheme == "http" && url.IsLoopback;

    internal void Validate(ConfigErrors errors)
    {
        var valid = Uri.TryCreate(Authority, UriKind.Absolute, out var url);
        errors.Require(valid && (url!.Scheme == "https" || AllowsHttp), "web.oidc.authority", Authority.Length == 0
            ? "must name the provider's issuer URL (https://...)"
            : $"'{Authority}' is not an https URL (http only on a loopback address)");
        errors.Require(!string.IsNullOrWhiteSpace(ClientId), "web.oidc.client_id", "must name the client registered at the provider");
        errors.Require(!string.IsNullOrWhiteSpace(AdminClaim), "web.oidc.admin_claim", "must name the claim that carries roles or groups");
        errors.Require(!string.IsNullOrWhiteSpace(AdminValue), "web.oidc.admin_value", "must name the role or group that administers the console (without it, anyone the provider signs in would)");
        errors.Require(!string.IsNullOrWhiteSpace(NameClaim), "web.oidc.name_claim", "must name a claim");
        errors.Require(Scopes.Contains("openid"), "web.oidc.scopes", "must include openid");
    }
}
