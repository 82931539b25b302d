using System.Collections.Concurrent;
using System.Net.Sockets;

namespace Gateway.IntegrationTests.Support;

/// <summary>
/// A line-by-line downstream that checks how its client orders commands. Offering PIPELINING, it answers
/// MAIL only after the RCPT behind it has arrived, so a client that waits for the MAIL reply first stalls.
/// Not offering it, it notes every command that arrived before the previous one was answered (RFC 2920
/// forbids that). It can refuse the sender (with 421 it closes at once); DATA is taken and answered 250.
/// </summary>
internal sealed class ScriptedDownstream : LoopbackTcpServer
{
    private readonly bool _offersPipelining;

    private ScriptedDownstream(bool offersPipelining, string mailReply)
    {
        _offersPipelining = offersPipelining;
        MailReply = mailReply;
    }

    public string MailReply { get; set; }

    /// <summary>The first line a connection hears (a 554 greeting: a downstream refusing all sessions).</summary>
    public string Greeting { get; set; } = "220 scripted.test ESMTP";

    /// <summary>When set, the reply to both EHLO and HELO.</summary>
    public string? HelloRefusal { get; set; }

    /// <summary>Every command line received, in order.</summary>
    public ConcurrentQueue<string> Commands { get; } = new();

    /// <summary>Commands that arrived before the previous one was answered, though PIPELINING was not offered.</summary>
    public int UnaskedPipelining;

    public int MessagesTaken;

    /// <summary>The first this-many messages get their final 250 only after <see cref="FinalReplyDelay"/>.</summary>
    public int SlowFinalReplies { get; set; }

    public TimeSpan FinalReplyDelay { get; set; }

    /// <summary>Every message taken, as the lines between DATA and the dot (a bare CR inside a line is kept).</summary>
    public ConcurrentQueue<IReadOnlyList<string>> Messages { get; } = new();

    public static ScriptedDownstream Start(bool offersPipelining, string mailReply = "250 2.1.0 Ok")
    {
        var downstream = new ScriptedDownstream(offersPipelining, mailReply);
        downstream.Listen();
        return downstream;
    }

    protected override async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        var reader = new LineReader(stream);
        await WriteAsync(stream, Greeting);
        while (await reader.ReadLineAsync(Stopping) is { } line)
        {
            Commands.Enqueue(line);
            if (!_offersPipelining && await reader.MoreArrivesWithinAsync(TimeSpan.FromMilliseconds(50), Stopping))
            {
                Interlocked.Increment(ref UnaskedPipelining);
            }

            var verb = line.Split(' ')[0].ToUpperInvariant();
            switch (verb)
            {
                case "EHLO" or "HELO" when HelloRefusal is not null:
                    await WriteAsync(stream, HelloRefusal);
                    break;
                case "EHLO":
                    await WriteAsync(stream, _offersPipelining ? "250-scripted.test\r\n250-PIPELINING\r\n250 8BITMIME" : "250-scripted.test\r\n250 8BITMIME");
                    break;
                case "MAIL" when _offersPipelining:
                    var rcpt = await reader.ReadLineAsync(Stopping) ?? throw new IOException("gone before RCPT");
                    Commands.Enqueue(rcpt);
                    if (MailReply.StartsWith("421", StringComparison.Ordinal))
                    {
                        await WriteAsync(stream, MailReply); // closing: the RCPT behind it gets no answer
                        return;
                    }

                    var accepted = MailReply.StartsWith('2');
                    await WriteAsync(stream, MailReply + "\r\n" + (accepted ? "250 2.1.5 Ok" : "503 5.5.1 Error: need MAIL command"));
                    break;
                case "MAIL":
                    await WriteAsync(stream, MailReply);
                    break;
                case "DATA":
                    await WriteAsync(stream, "354 go ahead");
                    var lines = new List<string>();
                    while (await reader.ReadLineAsync(Stopping) is { } body && body != ".")
                    {
                        lines.Add(body);
                    }

                    Messages.Enqueue(lines);
                    if (Interlocked.Increment(ref MessagesTaken) <= SlowFinalReplies)
                    {
                        await Task.Delay(FinalReplyDelay, Stopping);
                    }

                    await WriteAsync(stream, "250 2.0.0 Ok: queued");
                    break;
                case "QUIT":
                    await WriteAsync(stream, "221 2.0.0 Bye");
                    return;
                default:
                    await WriteAsync(stream, "250 2.0.0 Ok");
                    break;
            }
        }
    }

    /// <summary>Lines from the socket, with a look at whether more bytes are already waiting.</summary>
    private sealed class LineReader(NetworkStream stream)
    {
        private readonly byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    var line = Encoding.Latin1.GetString(_buffer, _start, newline - _start);
                    line = line.EndsWith('\r') ? line[..^1] : line;
                    _start = newline + 1;
                    return line;
                }

                if (_start > 0)
                {
                    Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
                if (read == 0)
                {
                    return null;
                }

                _end += read;
            }
        }

        public async Task<bool> MoreArrivesWithinAsync(TimeSpan wait, CancellationToken cancellationToken)
        {
            if (_end > _start)
            {
                return true;
            }

            await Task.Delay(wait, cancellationToken);
            return stream.DataAvailable;
        }
    }
}
