using MailKit.Net.Smtp;
using MimeKit;

namespace Gateway.IntegrationTests.Support;

internal static class TestMessages
{
    public static MimeMessage Create(string to = "user@example.test", string subject = "hello", string? body = null)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("sender@remote.test"));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("remote.test");
        message.Body = new TextPart("plain") { Text = body ?? "Hello from the test.\nSecond line, caf\u00e9.\n" };
        return message;
    }

    /// <summary>Sends with MailKit (a real, well-behaved client) and returns the server's final reply text.</summary>
    public static async Task<string> SendAsync(IPEndPoint gateway, MimeMessage message, CancellationToken cancellationToken = default)
    {
        using var client = new SmtpClient { Timeout = 30_000 };
        await client.ConnectAsync(gateway.Address.ToString(), gateway.Port, MailKit.Security.SecureSocketOptions.None, cancellationToken);
        var reply = await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
        return reply;
    }

    /// <summary>A small message as DATA sends it: CRLF lines and the terminating dot.</summary>
    public static byte[] Wire(string subject = "test", string body = "hello\r\n") =>
        [.. Crlf($"From: sender@remote.test\nTo: user@example.test\nSubject: {subject}\n\n"), .. Encoding.UTF8.GetBytes(body + ".\r\n")];

    public static byte[] Crlf(string text) => Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"));
}
