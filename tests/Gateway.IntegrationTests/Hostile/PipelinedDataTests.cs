namespace Gateway.IntegrationTests.Hostile;

/// <summary>
/// Content sent in the same write as DATA, before the 354 (RFC 2920 forbids it; bulk senders do it): the
/// stream guard must read it as the session does — content after a 354, commands after a refusal — and be
/// back in command mode after the final dot, so later command lines and idle time are judged as commands.
/// </summary>
public sealed class PipelinedDataTests
{
    private static async Task<List<string>> RepliesAsync(RawSmtpClient client, int count)
    {
        var replies = new List<string>();
        for (var i = 0; i < count; i++)
        {
            replies.Add(await client.ReadReplyAsync());
        }

        return replies;
    }

    [Fact(Timeout = 60_000)]
    public async Task Content_pipelined_before_the_354_is_taken_as_content_and_the_guard_ends_in_command_mode()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
        {
            Limits = options.Limits with
            {
                MaxLineLength = 1000,
                MinDataRate = 1_000_000, // an idle client judged as in DATA would hear "too slowly"
                CommandTimeout = TimeSpan.FromSeconds(30),
            },
        });
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);
        var longContentLine = new string('x', 1500); // over the command limit, fine as content

        await client.SendRawAsync(Encoding.ASCII.GetBytes(
            $"MAIL FROM:<sender@remote.test>\r\nRCPT TO:<user@example.test>\r\nDATA\r\nFrom: a@remote.test\r\nSubject: eager\r\n\r\n{longContentLine}\r\n.\r\n"));
        var replies = await RepliesAsync(client, 4);

        Assert.StartsWith("250", replies[0], StringComparison.Ordinal);
        Assert.StartsWith("250", replies[1], StringComparison.Ordinal);
        Assert.StartsWith("354", replies[2], StringComparison.Ordinal);
        Assert.StartsWith("250", replies[3], StringComparison.Ordinal);
        Assert.Contains(longContentLine, Assert.Single(downstream.Messages));

        await Task.Delay(1500); // idle in command mode: no data-rate verdict
        Assert.StartsWith("250", await client.CommandAsync("NOOP"), StringComparison.Ordinal);
        Assert.StartsWith("500 5.5.2", await client.CommandAsync("NOOP " + new string('y', 1200)), StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task After_a_refused_DATA_the_bytes_pipelined_behind_it_are_commands()
    {
        await using var downstream = ScriptedDownstream.Start(offersPipelining: false);
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint);
        await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
        Assert.StartsWith("250", await client.CommandAsync("EHLO client.example.test"), StringComparison.Ordinal);

        await client.SendRawAsync("MAIL FROM:<sender@remote.test>\r\nRCPT TO:<someone@elsewhere.test>\r\nDATA\r\nNOOP\r\n"u8.ToArray());
        var replies = await RepliesAsync(client, 4);

        Assert.StartsWith("250", replies[0], StringComparison.Ordinal);
        Assert.StartsWith("550", replies[1], StringComparison.Ordinal);
        Assert.True(replies[2].StartsWith('5'), string.Join(" | ", replies));
        Assert.StartsWith("250", replies[3], StringComparison.Ordinal);
        Assert.Equal(0, downstream.MessagesTaken);
    }
}
