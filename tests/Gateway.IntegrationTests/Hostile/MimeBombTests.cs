namespace Gateway.IntegrationTests.Hostile;

/// <summary>
/// Shapes that are cheap to send and dear to parse: thousands of tiny parts, thousands of RFC 2231
/// parameter segments. They are refused before any tree is built; ordinary multipart mail is not.
/// </summary>
public sealed class MimeBombTests
{
    private static async Task<string> SendAsync(TestGateway gateway, string message)
    {
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.All(await client.EnvelopeAsync("sender@remote.test", "user@example.test"), reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        return await client.DataAsync(Encoding.ASCII.GetBytes(message + "\r\n.\r\n"));
    }

    private static string Multipart(int parts, string disposition = "") =>
        "From: a@remote.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
        string.Concat(Enumerable.Range(0, parts).Select(i => $"--b\r\nContent-Type: text/plain\r\n{disposition}\r\npart {i}\r\n")) + "--b--\r\n";

    [Fact(Timeout = 60_000)]
    public async Task A_message_of_more_parts_than_max_mime_parts_is_refused_unparsed()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Limits = options.Limits with { MaxMimeParts = 200 } });

        Assert.StartsWith("552 5.3.4", await SendAsync(gateway, Multipart(5000)), StringComparison.Ordinal);
        Assert.StartsWith("250", await SendAsync(gateway, Multipart(150)), StringComparison.Ordinal);
        Assert.Equal(1, downstream.MessagesTaken);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_disposition_of_thousands_of_RFC_2231_segments_is_refused()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        var segments = string.Concat(Enumerable.Range(0, 5000).Select(i => $";\r\n filename*{i}*=us-ascii''x{i}"));
        var ordinary = ";\r\n filename*0*=utf-8''Rechnung%20M%C3%A4rz;\r\n filename*1*=%202026.pdf";

        Assert.StartsWith("552 5.3.4", await SendAsync(gateway, Multipart(2, $"Content-Disposition: attachment{segments}\r\n")), StringComparison.Ordinal);
        Assert.StartsWith("250", await SendAsync(gateway, Multipart(2, $"Content-Disposition: attachment{ordinary}\r\n")), StringComparison.Ordinal);
        Assert.Equal(1, downstream.MessagesTaken);
    }
}
