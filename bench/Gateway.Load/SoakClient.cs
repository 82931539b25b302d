using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Load;

/// <summary>
/// Sending clients: each worker takes the next soak id, sends it (several messages per session) and
/// records the final reply code to DATA, or 0 when the connection broke before a reply (the client keeps
/// the message, as a real MTA would).
/// </summary>
/// <param name="message">The DATA payload for a soak id (CRLF, dot-stuffed, terminator included); default: a small generated message carrying the id.</param>
internal sealed class SoakClient(IPEndPoint gateway, int messages, int concurrency, int perSession, Func<int, byte[]>? message = null)
{
    private readonly Func<int, byte[]> _message = message ?? Message;

    private int _next = -1;

    /// <summary>Milliseconds from MAIL FROM to the final reply, for each message answered 2xx.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<double> Latencies { get; } = new();

    /// <summary>Soak id → final reply code (0: no reply).</summary>
    public ConcurrentDictionary<int, int> Replies { get; } = new();

    public Task RunAsync() => Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkerAsync)));

    private int Take()
    {
        var id = Interlocked.Increment(ref _next);
        return id < messages ? id : -1;
    }

    private async Task WorkerAsync()
    {
        var id = Take();
        var failures = 0;
        while (id >= 0)
        {
            var inFlight = false;
            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(gateway);
                var stream = tcp.GetStream();
                using var reader = new StreamReader(stream, Encoding.Latin1);
                var greeting = await ReplyAsync(reader);
                if (!greeting.StartsWith("220", StringComparison.Ordinal))
                {
                    Replies[id] = Code(greeting); // 421: this attempt was refused, which the sender would retry
                    id = Take();
                    continue;
                }

                await CommandAsync(stream, reader, "EHLO client.soak.test");
                for (var sent = 0; sent < perSession && id >= 0; sent++)
                {
                    inFlight = true;
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    Replies[id] = await SendAsync(stream, reader, id, _message(id));
                    if (Replies[id] / 100 == 2)
                    {
                        Latencies.Enqueue(clock.Elapsed.TotalMilliseconds);
                    }

                    inFlight = false;
                    failures = 0;
                    id = Take();
                }

                await CommandAsync(stream, reader, "QUIT");
            }
            catch (Exception exception) when (exception is IOException or SocketException)
            {
                // The message whose transaction broke has no reply; one not yet started is sent again.
                if (inFlight || ++failures > 50)
                {
                    Replies[id] = 0;
                    id = Take();
                }
            }
        }
    }

    private static async Task<int> SendAsync(NetworkStream stream, StreamReader reader, int id, byte[] payload)
    {
        var mail = await CommandAsync(stream, reader, "MAIL FROM:<sender@client.soak.test>");
        if (!mail.StartsWith('2'))
        {
            return Code(mail);
        }

        var rcpt = await CommandAsync(stream, reader, $"RCPT TO:<user{id % 50}@example.test>");
        if (!rcpt.StartsWith('2'))
        {
            await CommandAsync(stream, reader, "RSET");
            return Code(rcpt);
        }

        var go = await CommandAsync(stream, reader, "DATA");
        if (!go.StartsWith("354", StringComparison.Ordinal))
        {
            return Code(go);
        }

        await stream.WriteAsync(payload);
        return Code(await ReplyAsync(reader));
    }

    private static byte[] Message(int id) => Encoding.ASCII.GetBytes(
        $"From: Sender <sender@client.soak.test>\r\nTo: user{id % 50}@example.test\r\nSubject: soak message {id}\r\n" +
        $"Message-ID: <soak-{id}@client.soak.test>\r\nX-Soak-Id: {id}\r\nDate: Sat, 28 Nov 2026 12:00:00 +0000\r\n\r\n" +
        $"Hello,\r\n\r\nthe minutes of Tuesday's meeting are below; item {id} is still open.\r\n\r\nRegards,\r\nSender\r\n.\r\n");

    private static int Code(string reply) => int.TryParse(reply.AsSpan(0, 3), out var code) ? code : 0;

    private static async Task<string> CommandAsync(NetworkStream stream, StreamReader reader, string command)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
        return await ReplyAsync(reader);
    }

    private static async Task<string> ReplyAsync(StreamReader reader)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync() ?? throw new IOException("connection closed");
            if (line.Length < 4 || line[3] == ' ')
            {
                return line;
            }
        }
    }
}
