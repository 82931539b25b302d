using Gateway.Core.Configuration;

namespace Gateway.IntegrationTests.Web;

/// <summary>
/// A gateway with the web console on a loopback port, one administrator, a quarantine and a history of its
/// own, and a rule that holds every message whose subject says "hold me".
/// </summary>
internal sealed partial class WebConsoleFixture : IAsyncDisposable
{
    public const string Admin = "admin";
    public const string Password = "correct horse battery staple";

    private WebConsoleFixture(FakeDownstream downstream, TestGateway gateway, string folder)
    {
        Downstream = downstream;
        Gateway = gateway;
        Folder = folder;
    }

    public FakeDownstream Downstream { get; }

    public TestGateway Gateway { get; }

    public string Folder { get; }

    public Uri Url => new($"http://{Gateway.WebEndPoint}/");

    /// <param name="learning">Site learning on (memory store): the console's releases and deletes as spam teach it.</param>
    /// <param name="dns">A loopback DNS server with the test's zone (authentication on); null: an empty one.</param>
    /// <param name="rules">Changes the private copy of the rules folder (after the hold rule is written).</param>
    /// <param name="oidc">Administrators' single sign-on (web.oidc), e.g. against a <see cref="TestOidcProvider"/>.</param>
    public static async Task<WebConsoleFixture> StartAsync(bool learning = false, LoopbackDnsServer? dns = null, Action<string>? rules = null, OidcOptions? oidc = null)
    {
        var folder = Directory.CreateTempSubdirectory("web-console-").FullName;
        var users = Path.Combine(folder, "web-users.json");
        var added = await GatewayCli.RunWithInputAsync(Password + "\n", "web", "user", "add", Admin, "--config", await ConfigAsync(folder, users));
        Assert.Equal(0, added.ExitCode);
        var rulesFolder = GatewayCli.CopyRules();
        await File.WriteAllTextAsync(Path.Combine(rulesFolder, "hold.rules.yaml"), "rules:\n  - name: HOLD_FOR_REVIEW\n    description: test rule\n    when:\n      subject: {contains: \"hold me\"}\n    score: 1.0\n    action: quarantine\n");
        rules?.Invoke(rulesFolder);
        var downstream = await FakeDownstream.StartAsync();
        var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Classifier = options.Classifier with { Enabled = false },
            Quarantine = options.Quarantine with { Directory = Path.Combine(folder, "quarantine") },
            History = new HistoryOptions { Directory = Path.Combine(folder, "history") },
            Web = new WebOptions { Listen = "127.0.0.1:0", UsersFile = users, KeysDirectory = Path.Combine(folder, "keys"), Oidc = oidc },
            SenderLists = new SenderListsOptions { File = Path.Combine(folder, "sender-lists.json") },
            Learning = options.Learning with { Enabled = learning, SecretFile = Path.Combine(folder, "learning.secret") },
        }, rulesFolder: rulesFolder, dns: dns);
        return new WebConsoleFixture(downstream, gateway, folder);
    }

    /// <summary>A gateway.yaml naming the users file, for `gateway web user add`.</summary>
    private static async Task<string> ConfigAsync(string folder, string users)
    {
        var path = Path.Combine(folder, "gateway.yaml");
        await File.WriteAllTextAsync(path, $"domains: [example.test]\nweb: {{users_file: {users}}}\n");
        return path;
    }

    /// <summary>Sends a message over SMTP; returns the final reply (a held one ends with its quarantine id).</summary>
    public async Task<string> SendAsync(string subject, string body, string contentType = "text/plain", string messageId = "<m1@remote.test>", string to = "user@example.test", string? also = null)
    {
        await using var client = await RawSmtpClient.ConnectAsync(Gateway.EndPoint);
        await client.EnvelopeAsync("sender@remote.test", also is null ? [to] : [to, also]);
        return await client.DataAsync(TestMessages.Crlf($"From: Sender <sender@remote.test>\nTo: {to}\nSubject: {subject}\nMessage-ID: {messageId}\nDate: Mon, 07 Dec 2026 10:00:00 +0000\nContent-Type: {contentType}; charset=utf-8\n\n{body}\n.\n"));
    }

    /// <summary>Runs `gateway quarantine digest` (through the fixture's downstream) and returns the link in <paramref name="recipient"/>'s digest.</summary>
    public async Task<Uri> DigestLinkAsync(string recipient)
    {
        var config = Path.Combine(Folder, "gateway.yaml");
        await File.WriteAllTextAsync(config, $"hostname: gateway.example.test\ndomains: [example.test]\ndownstream: {{host: \"{Downstream.EndPoint.Address}\", port: {Downstream.EndPoint.Port}, tls: none}}\nquarantine: {{directory: {Path.Combine(Folder, "quarantine")}}}\nweb: {{listen: \"{Gateway.WebEndPoint}\", keys_directory: {Path.Combine(Folder, "keys")}}}\n");
        var digest = await GatewayCli.RunAsync("quarantine", "digest", "--config", config);
        Assert.Equal(0, digest.ExitCode);
        var sent = Downstream.Messages.Last(message => message.To.SequenceEqual([recipient]));
        return new Uri(LinkLine().Match(System.Text.Encoding.UTF8.GetString(sent.Raw)).Value);
    }

    /// <summary>The antiforgery token a console page carries in its forms.</summary>
    public static string TokenIn(string page) => TokenField().Match(page).Groups[1].Value;

    /// <summary>A recipient's link in a digest.</summary>
    [System.Text.RegularExpressions.GeneratedRegex(@"http://\S+/r/\S+")]
    public static partial System.Text.RegularExpressions.Regex LinkLine();

    [System.Text.RegularExpressions.GeneratedRegex("name=\"__token\" value=\"([^\"]+)\"")]
    private static partial System.Text.RegularExpressions.Regex TokenField();

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Downstream.DisposeAsync();
    }
}
