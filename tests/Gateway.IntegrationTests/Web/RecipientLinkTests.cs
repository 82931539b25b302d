using System.Net;
using System.Text.RegularExpressions;
using Gateway.Web;

namespace Gateway.IntegrationTests.Web;

/// <summary>
/// A recipient's own way in (issue 35): the digest carries a signed, expiring link; it opens that recipient's
/// held mail and nothing else — not another recipient's message, not the administrators' pages — and an
/// altered or expired link opens nothing.
/// </summary>
public sealed partial class RecipientLinkTests
{
    [Fact(Timeout = 60_000)]
    public async Task The_digest_link_opens_only_the_recipients_own_mail_and_a_forged_or_expired_one_nothing()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        var mine = (await console.SendAsync("hold me: for alice", "alice's", messageId: "<a1@remote.test>", to: "alice@example.test")).Split(' ')[^1];
        var theirs = (await console.SendAsync("hold me: for bob", "bob's", messageId: "<b1@remote.test>", to: "bob@example.test")).Split(' ')[^1];
        var shared = (await console.SendAsync("hold me: for both", "both", messageId: "<s1@remote.test>", to: "alice@example.test", also: "bob@example.test")).Split(' ')[^1];

        var link = await console.DigestLinkAsync("alice@example.test");

        using var alice = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = console.Url };
        var followed = await alice.GetAsync(link.PathAndQuery);
        Assert.Equal(HttpStatusCode.Redirect, followed.StatusCode);
        Assert.Equal("/mine", followed.Headers.Location!.OriginalString);

        var list = await alice.GetStringAsync("/mine");
        Assert.Contains("hold me: for alice", list, StringComparison.Ordinal);
        Assert.Contains("hold me: for both", list, StringComparison.Ordinal);
        Assert.DoesNotContain("hold me: for bob", list, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync($"/mine/{theirs}")).StatusCode);
        Assert.DoesNotContain("Release", await alice.GetStringAsync($"/mine/{shared}"), StringComparison.Ordinal); // held for Bob too: hers to see, not to release
        var admin = await alice.GetAsync("/quarantine");
        Assert.Equal(HttpStatusCode.Redirect, admin.StatusCode);
        Assert.Contains("/denied", admin.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await alice.GetAsync("/history")).StatusCode);

        var page = await alice.GetStringAsync($"/mine/{mine}");
        var token = WebConsoleFixture.TokenIn(page);
        var stolen = await alice.PostAsync($"/mine/{theirs}/release", new FormUrlEncodedContent(new Dictionary<string, string> { ["__token"] = token }));
        Assert.Equal(HttpStatusCode.NotFound, stolen.StatusCode);
        var released = await alice.PostAsync($"/mine/{mine}/release", new FormUrlEncodedContent(new Dictionary<string, string> { ["__token"] = token }));
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.Contains(console.Downstream.Messages, message => System.Text.Encoding.UTF8.GetString(message.Raw).Contains("hold me: for alice", StringComparison.Ordinal));

        using var stranger = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = console.Url };
        var path = link.AbsolutePath;
        var altered = path[..^2] + (path[^2] == 'A' ? 'B' : 'A') + path[^1];
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync(altered)).StatusCode);
        var options = console.Gateway.Options;
        var expired = RecipientLinks.For(options with { Web = options.Web with { KeysDirectory = Path.Combine(console.Folder, "keys") } }).LinkFor("alice@example.test", DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.Equal(HttpStatusCode.Forbidden, (await stranger.GetAsync(new Uri(expired).AbsolutePath)).StatusCode);
        var fresh = RecipientLinks.For(options with { Web = options.Web with { KeysDirectory = Path.Combine(console.Folder, "keys") } }).LinkFor("bob@example.test");
        Assert.Equal(HttpStatusCode.Redirect, (await stranger.GetAsync(new Uri(fresh).AbsolutePath)).StatusCode); // the same keys make a good one
    }

    [Fact(Timeout = 60_000)]
    public async Task A_fresh_link_goes_only_to_the_address_asked_for_and_the_answer_never_says_whether_mail_is_held()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        await console.SendAsync("hold me: for alice", "alice's", to: "alice@example.test");
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = console.Url };

        async Task<string> AskAsync(string address)
        {
            var token = WebConsoleFixture.TokenIn(await client.GetStringAsync("/link"));
            var answer = await client.PostAsync("/link", new FormUrlEncodedContent(new Dictionary<string, string> { ["__token"] = token, ["address"] = address }));
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            return MainText().Match(await answer.Content.ReadAsStringAsync()).Value;
        }

        var forAlice = await AskAsync("alice@example.test");
        Assert.Equal(forAlice, await AskAsync("nobody@example.test")); // no mail held: the same words
        Assert.Equal(forAlice, await AskAsync("someone@elsewhere.test")); // not ours: the same words
        Assert.Equal(forAlice, await AskAsync("alice@example.test")); // again within ten minutes: nothing more is sent
        for (var wait = 0; wait < 100 && console.Downstream.Messages.Count == 0; wait++)
        {
            await Task.Delay(50);
        }

        await Task.Delay(300);
        var sent = Assert.Single(console.Downstream.Messages);
        Assert.Equal(["alice@example.test"], sent.To);
        Assert.Matches(WebConsoleFixture.LinkLine(), System.Text.Encoding.UTF8.GetString(sent.Raw));
        var withoutToken = await client.PostAsync("/link", new FormUrlEncodedContent(new Dictionary<string, string> { ["address"] = "alice@example.test" }));
        Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
    }

    [GeneratedRegex("<main>.*</main>", RegexOptions.Singleline)]
    private static partial Regex MainText();

}
