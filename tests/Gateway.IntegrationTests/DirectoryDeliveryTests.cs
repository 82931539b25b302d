using System.Text.Json;

namespace Gateway.IntegrationTests;

public sealed class DirectoryDeliveryTests
{
    [Fact(Timeout = 60_000)]
    public async Task Without_a_downstream_host_swaks_delivers_into_the_directory_with_an_envelope_sidecar()
    {
        await using var gateway = await TestGateway.StartAsync(downstream: null);
        var folder = gateway.Options.Downstream.Directory!;

        var (exitCode, output) = await Tools.RunAsync("swaks", "--server", $"127.0.0.1:{gateway.EndPoint.Port}", "--from", "a@remote.test", "--to", "user@example.test,second@example.test");

        Assert.True(exitCode == 0, output);
        var eml = Assert.Single(Directory.GetFiles(folder, "*.eml"));
        var envelope = JsonDocument.Parse(File.ReadAllText(Path.ChangeExtension(eml, ".json"))).RootElement;
        Assert.Equal("a@remote.test", envelope.GetProperty("mail_from").GetString());
        Assert.Equal(["user@example.test", "second@example.test"], envelope.GetProperty("rcpt_to").EnumerateArray().Select(item => item.GetString()));
        var message = File.ReadAllText(eml);
        Assert.Contains("X-Spam-Flag: NO\r\n", message, StringComparison.Ordinal);
        Assert.DoesNotContain("\r\n.\r\n", message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
    }
}
