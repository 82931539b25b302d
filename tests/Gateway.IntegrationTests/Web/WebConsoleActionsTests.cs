using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Gateway.IntegrationTests.Web;

/// <summary>The console's other actions over HTTP: scanning an uploaded message, and deleting a held one as spam, which teaches the site model.</summary>
public sealed class WebConsoleActionsTests
{
    private static async Task<(HttpClient Client, string Token)> SignInAsync(WebConsoleFixture console)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = console.Url };
        var token = WebConsoleFixture.TokenIn(await client.GetStringAsync("/login"));
        var signedIn = await client.PostAsync("/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["__token"] = token, ["user"] = WebConsoleFixture.Admin, ["password"] = WebConsoleFixture.Password }));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return (client, WebConsoleFixture.TokenIn(await client.GetStringAsync("/scan")));
    }

    [Fact(Timeout = 60_000)]
    public async Task An_uploaded_message_is_judged_by_the_full_pipeline_with_each_symbol_explained()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        var (client, token) = await SignInAsync(console);
        using (client)
        {
            var upload = new MultipartFormDataContent
            {
                { new StringContent(token), "__token" },
                { new ByteArrayContent(Encoding.ASCII.GetBytes("From: a@remote.test\r\nSubject: hold me please\r\n\r\nbody\r\n")) { Headers = { ContentType = new MediaTypeHeaderValue("message/rfc822") } }, "message", "sample.eml" },
            };
            var scanned = await client.PostAsync("/scan", upload);
            var page = await scanned.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, scanned.StatusCode);
            Assert.Contains("<strong>sample.eml</strong>: quarantine", page, StringComparison.Ordinal);
            Assert.Contains("<td>HOLD_FOR_REVIEW</td><td>1.00</td><td>test rule</td>", page, StringComparison.Ordinal);
            Assert.Empty(console.Downstream.Messages); // scanning delivers nothing
            var withoutToken = await client.PostAsync("/scan", new MultipartFormDataContent { { new StringContent("x"), "message", "x.eml" } });
            Assert.Equal(HttpStatusCode.BadRequest, withoutToken.StatusCode);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task Delete_as_spam_teaches_the_site_model_and_removes_the_message()
    {
        await using var console = await WebConsoleFixture.StartAsync(learning: true);
        var id = (await console.SendAsync("hold me: cheap watches", "replica watches, cheap")).Split(' ')[^1];
        var (client, token) = await SignInAsync(console);
        using (client)
        {
            var deleted = await client.PostAsync($"/quarantine/{id}/delete?spam=1", new FormUrlEncodedContent(new Dictionary<string, string> { ["__token"] = token }));
            var page = await deleted.Content.ReadAsStringAsync();

            Assert.Contains($"{id}: deleted; learned as spam: learned", page, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/quarantine/{id}")).StatusCode);
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task An_administrator_releases_and_deletes_several_held_messages_at_once()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        var ids = new List<string>();
        foreach (var subject in new[] { "hold me: one", "hold me: two", "hold me: three" })
        {
            ids.Add((await console.SendAsync(subject, subject, messageId: $"<{subject.Length}-{ids.Count}@remote.test>")).Split(' ')[^1]);
        }

        var (client, token) = await SignInAsync(console);
        using (client)
        {
            Assert.Contains("Release selected", await client.GetStringAsync("/quarantine"), StringComparison.Ordinal);
            var released = await client.PostAsync("/quarantine/bulk", new FormUrlEncodedContent([new("__token", token), new("action", "release"), new("id", ids[0]), new("id", ids[1])]));
            var page = await released.Content.ReadAsStringAsync();
            Assert.Contains($"{ids[0]}: released to user@example.test", page, StringComparison.Ordinal);
            Assert.Contains($"{ids[1]}: released to user@example.test", page, StringComparison.Ordinal);
            Assert.Equal(2, console.Downstream.Messages.Count);

            var deleted = await client.PostAsync("/quarantine/bulk", new FormUrlEncodedContent([new("__token", token), new("action", "delete"), new("id", ids[2]), new("id", "../../etc/passwd")]));
            var said = await deleted.Content.ReadAsStringAsync();
            Assert.Contains($"{ids[2]}: deleted", said, StringComparison.Ordinal);
            Assert.Contains("../../etc/passwd: not found", said, StringComparison.Ordinal);
            Assert.Empty(console.Gateway.Options.Quarantine.Directory is { } folder ? Directory.GetFiles(folder, "*.eml") : []);

            var unknown = await client.PostAsync("/quarantine/bulk", new FormUrlEncodedContent([new("__token", token), new("action", "shred"), new("id", ids[0])]));
            Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        }
    }
}
