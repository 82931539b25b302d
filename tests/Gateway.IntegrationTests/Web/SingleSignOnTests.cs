using Gateway.Core.Configuration;
using Microsoft.Playwright;

namespace Gateway.IntegrationTests.Web;

/// <summary>
/// Administrators' single sign-on (web.oidc) in a real browser against an OpenID Connect provider on another
/// site (127.0.0.2): the provider's administrators reach the quarantine, its other users are told they are not
/// administrators and get no session, and a forged answer from "the provider" gets the sign-in page back.
/// </summary>
public sealed class SingleSignOnTests
{
    [Fact(Timeout = 120_000)]
    public async Task The_providers_administrator_signs_in_and_sees_the_quarantine()
    {
        await using var provider = await TestOidcProvider.StartAsync();
        await using var console = await WebConsoleFixture.StartAsync(oidc: Oidc(provider));
        Assert.Contains("held for review", await console.SendAsync("hold me: quarterly report", "numbers"), StringComparison.Ordinal);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Browsers.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();

        await page.GotoAsync(new Uri(console.Url, "quarantine").ToString());
        await page.ClickAsync("a:has-text('Sign in with Test IdP')");
        await page.ClickAsync("a:has-text('Continue as alice@example.test')"); // on the provider's page
        // The redirect chain crosses origins (console, provider, console again): wait for the final URL to commit
        // and for its text, not for a load event, which once never came within 30 s on a loaded machine.
        await page.WaitForURLAsync(url => url.EndsWith("/quarantine", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.Commit });
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("hold me: quarterly report");

        Assert.Contains("hold me: quarterly report", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        Assert.Contains("alice@example.test", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal(0, provider.Refused); // the console's token request carried the right secret and PKCE verifier
    }

    [Fact(Timeout = 120_000)]
    public async Task A_provider_user_without_the_admin_role_is_refused_and_gets_no_session()
    {
        await using var provider = await TestOidcProvider.StartAsync();
        provider.NextUser = ("bob@example.test", ["staff"]);
        await using var console = await WebConsoleFixture.StartAsync(oidc: Oidc(provider));
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Browsers.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();

        await page.GotoAsync(new Uri(console.Url, "login").ToString());
        await page.ClickAsync("a:has-text('Sign in with Test IdP')");
        await page.ClickAsync("a:has-text('Continue as bob@example.test')");
        await page.WaitForURLAsync(url => url.EndsWith("/denied", StringComparison.Ordinal), new() { WaitUntil = WaitUntilState.Commit });
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("This page is for administrators.");
        Assert.Contains("This page is for administrators.", await page.InnerTextAsync("main"), StringComparison.Ordinal);

        await page.GotoAsync(new Uri(console.Url, "quarantine").ToString());
        Assert.Contains("/login", page.Url, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_forged_answer_from_the_provider_gets_the_sign_in_page_not_an_error()
    {
        await using var provider = await TestOidcProvider.StartAsync();
        await using var console = await WebConsoleFixture.StartAsync(oidc: Oidc(provider));
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });

        using var forged = await client.GetAsync(new Uri(console.Url, "signin-oidc?code=stolen&state=forged"));

        Assert.Equal(System.Net.HttpStatusCode.Redirect, forged.StatusCode);
        Assert.Equal("/login?sso=failed", forged.Headers.Location?.OriginalString);
        using var login = await client.GetAsync(new Uri(console.Url, "login?sso=failed"));
        Assert.Contains("Signing in with Test IdP did not complete", await login.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static OidcOptions Oidc(TestOidcProvider provider) => new()
    {
        Authority = provider.Issuer,
        ClientId = TestOidcProvider.ClientId,
        ClientSecret = TestOidcProvider.ClientSecret,
        DisplayName = "Test IdP",
        AdminClaim = "roles",
        AdminValue = "gateway-admin",
    };
}
