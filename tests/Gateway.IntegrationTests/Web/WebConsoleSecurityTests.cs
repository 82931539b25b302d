using System.Net;

namespace Gateway.IntegrationTests.Web;

/// <summary>What an attacker on the network would try against the console, over plain HTTP.</summary>
public sealed class WebConsoleSecurityTests
{
    private static HttpClient Client(Uri url, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies ?? new CookieContainer(), UseCookies = true }) { BaseAddress = url };

    private static async Task<string> TokenAsync(HttpClient client, string path)
    {
        var page = await client.GetStringAsync(path);
        return WebConsoleFixture.TokenIn(page);
    }

    private static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string password)
    {
        var token = await TokenAsync(client, "/login");
        return await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["__token"] = token, ["user"] = WebConsoleFixture.Admin, ["password"] = password }));
    }

    [Fact(Timeout = 60_000)]
    public async Task Pages_need_a_session_posts_need_their_token_and_every_page_forbids_script_and_framing()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        var held = await console.SendAsync("hold me", "text");
        var id = held.Split(' ')[^1];
        using var client = Client(console.Url);

        var anonymous = await client.GetAsync($"/quarantine/{id}");
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Contains("/login?return=", anonymous.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var anonymousRelease = await client.PostAsync($"/quarantine/{id}/release", new FormUrlEncodedContent([]));
        Assert.NotEqual(HttpStatusCode.OK, anonymousRelease.StatusCode);

        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(client, WebConsoleFixture.Password)).StatusCode);
        var withoutToken = await client.PostAsync($"/quarantine/{id}/release", new FormUrlEncodedContent([]));
        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        var forgedToken = await client.PostAsync($"/quarantine/{id}/release", new FormUrlEncodedContent(new Dictionary<string, string> { ["__token"] = "CfDJ8forged" }));
        Assert.Equal(HttpStatusCode.BadRequest, forgedToken.StatusCode);
        Assert.Empty(console.Downstream.Messages);

        var page = await client.GetAsync($"/quarantine/{id}");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var csp = string.Join(' ', page.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", csp, StringComparison.Ordinal);
        Assert.Equal("DENY", string.Join(' ', page.Headers.GetValues("X-Frame-Options")));

        var traversal = await client.GetAsync("/quarantine/..%2Fweb-users");
        Assert.Equal(HttpStatusCode.NotFound, traversal.StatusCode);
    }

    [Fact(Timeout = 60_000)]
    public async Task Five_wrong_passwords_lock_the_name_and_a_sign_in_never_redirects_off_site()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        using var client = Client(console.Url);

        var unknown = await SignInAsync(client, "not the password");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Contains("Wrong user or password.", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        for (var attempt = 2; attempt <= 5; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(client, "not the password")).StatusCode);
        }

        var locked = await SignInAsync(client, WebConsoleFixture.Password);
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        Assert.Contains("Too many failed sign-ins", await locked.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        for (var attempt = 7; attempt <= 20; attempt++)
        {
            await SignInAsync(client, "not the password");
        }

        var tooMany = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["user"] = "someone-else", ["password"] = "x" }));
        Assert.Equal(HttpStatusCode.TooManyRequests, tooMany.StatusCode); // 20 tries from one client in 10 minutes, whatever the name

        await using var other = await WebConsoleFixture.StartAsync();
        using var fresh = Client(other.Url);
        var token = await TokenAsync(fresh, "/login");
        var offSite = await fresh.PostAsync("/login?return=//evil.example/x", new FormUrlEncodedContent(new Dictionary<string, string> { ["__token"] = token, ["user"] = WebConsoleFixture.Admin, ["password"] = WebConsoleFixture.Password }));
        Assert.Equal("/quarantine", offSite.Headers.Location!.OriginalString);
    }
}
