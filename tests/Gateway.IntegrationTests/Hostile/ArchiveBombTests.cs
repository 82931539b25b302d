using System.IO.Compression;

namespace Gateway.IntegrationTests.Hostile;

/// <summary>Archive bombs through the SMTP path: a gigabyte of zeros in a 1 MB zip, zips nested deep, get a verdict (ARCHIVE_UNLOOKED: not all was seen), not a crash or a stall.</summary>
public sealed class ArchiveBombTests
{
    private static byte[] Zip(params (string Name, byte[] Content)[] entries) => TestArchives.Zip(CompressionLevel.SmallestSize, entries);

    private static byte[] Message(byte[] zip) => TestMessages.Crlf($"""
        From: sender@remote.test
        To: user@example.test
        Subject: the files you asked for
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        --b1
        Content-Type: text/plain

        Attached.
        --b1
        Content-Type: application/zip; name="files.zip"
        Content-Disposition: attachment; filename="files.zip"
        Content-Transfer-Encoding: base64

        {Convert.ToBase64String(zip, Base64FormattingOptions.InsertLineBreaks)}
        --b1--
        .

        """);

    [Fact(Timeout = 120_000)]
    public async Task A_gigabyte_bomb_and_a_deeply_nested_zip_each_get_a_verdict()
    {
        var zeros = new byte[64 * 1024 * 1024];
        "PK\u0003\u0004"u8.CopyTo(zeros);
        var bomb = Zip([.. Enumerable.Range(0, 16).Select(i => ($"part{i}.zip", zeros))]);
        var nested = Zip(("payload.exe", TestArchives.Program));
        for (var level = 0; level < 20; level++)
        {
            nested = Zip(($"level{level}.zip", nested));
        }

        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with
            {
                Classifier = options.Classifier with { Enabled = false },
                Limits = options.Limits with { MaxMessageSize = 50 * 1024 * 1024 },
            });
        var replies = new List<string>();
        foreach (var zip in new[] { bomb, nested })
        {
            await using var client = await RawSmtpClient.ConnectAsync(gateway.EndPoint);
            await client.EnvelopeAsync("sender@remote.test", "user@example.test");
            replies.Add(await client.DataAsync(Message(zip)));
        }

        Assert.True(bomb.Length < 2 * 1024 * 1024, $"the bomb is {bomb.Length} bytes");
        Assert.All(replies, reply => Assert.StartsWith("250", reply, StringComparison.Ordinal));
        Assert.Equal(2, downstream.Messages.Count);
        Assert.All(downstream.Messages, message => Assert.Contains("ARCHIVE_UNLOOKED", Encoding.UTF8.GetString(message.Raw), StringComparison.Ordinal));
    }
}
