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

    [Fact(Timeout = 60_000)]
    public async Task The_list_filters_by_text_day_and_score_and_a_message_shows_its_attachments_by_what_their_bytes_are()
    {
        await using var console = await WebConsoleFixture.StartAsync();
        using var zip = new MemoryStream();
        using (var archive = new System.IO.Compression.ZipArchive(zip, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using var writer = new StreamWriter(archive.CreateEntry("notes.txt").Open());
            writer.Write("a zip, not a PDF");
        }

        var notPdf = Convert.ToBase64String(zip.ToArray());
        var id = (await console.SendAsync("hold me: invoice attached", $"--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/pdf; name=\"invoice.pdf\"\nContent-Disposition: attachment; filename=\"invoice.pdf\"\nContent-Transfer-Encoding: base64\n\n{notPdf}\n--b--", "multipart/mixed; boundary=\"b\"")).Split(' ')[^1];
        await console.SendAsync("hold me: weekly report", "numbers", messageId: "<m2@remote.test>");
        var (client, _) = await SignInAsync(console);
        using (client)
        {
            var today = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var tomorrow = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Contains("<p>2 held</p>", await client.GetStringAsync($"/quarantine?since={today}&until={today}"), StringComparison.Ordinal);
            Assert.Contains("<p>1 held</p>", await client.GetStringAsync("/quarantine?q=weekly"), StringComparison.Ordinal);
            Assert.Contains("<p>0 held</p>", await client.GetStringAsync($"/quarantine?since={tomorrow}"), StringComparison.Ordinal);
            Assert.Contains("<p>0 held</p>", await client.GetStringAsync("/quarantine?min_score=100"), StringComparison.Ordinal);
            Assert.Contains("<p>2 held</p>", await client.GetStringAsync("/quarantine?min_score=0.5&since=not-a-day"), StringComparison.Ordinal);

            var page = await client.GetStringAsync($"/quarantine/{id}");
            Assert.Contains("<td>notes.txt</td>", page, StringComparison.Ordinal); // and what is inside the archive
            Assert.Contains("<td>invoice.pdf</td><td>application/pdf</td><td>zip <strong>(not what it claims)</strong></td>", page, StringComparison.Ordinal);
        }
    }
}
