using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Text;

namespace Gateway.RealWorld;

/// <summary>
/// The sending side: a given number of sessions in flight at all times, each from one of the
/// population's client addresses (198.18.1.X, named in a PROXY v1 header as a balancer would), one message per session as most
/// MTAs deliver to an MX: greeting, EHLO, STARTTLS with a full TLS handshake (no session resumption,
/// every session negotiates as a new sender would; RESUME=1 resumes), EHLO again, MAIL, RCPTs, DATA, QUIT. It measures
/// messages per second, the time from MAIL to the final reply to DATA (the message's latency), the whole
/// session, and the slowest single reply of any kind (RFC 5321 4.5.3.2's limits are minutes).
/// </summary>
internal sealed class TlsLoad(IPEndPoint target, int messages, bool tls, IReadOnlyList<TlsLoad.Mail> mails)
{
    public sealed record Mail(byte[] Payload, string From, string[] Recipients);

    private readonly ConcurrentQueue<double> _latencies = new();
    private readonly ConcurrentQueue<double> _sessions = new();
    private readonly ConcurrentDictionary<string, int> _codes = new();

    /// <summary>Reply waits by command (mail, rcpt, data, dot: the final reply), to tell where a slow message waited.</summary>
    private readonly ConcurrentDictionary<string, ConcurrentQueue<double>> _waits = new();
    private long _slowestReplyTicks;

    /// <summary>RESUME=1: resume TLS sessions as a returning sender with a session cache does (Postfix's smtp_tls_session_cache_database); else every handshake is a full one.</summary>
    private static readonly bool Resume = Environment.GetEnvironmentVariable("RESUME") == "1";

    /// <summary>
    /// .NET's client keeps sessions by server name and keeps none for an IP address (checked against
    /// `openssl s_server -www`: "New" every time with 127.0.0.1, "Reused" from the second with a name), so a
    /// resuming sender names the server (realworld.sh's certificate is for this name; no check is made).
    /// </summary>
    private const string ResumeHost = "mx.bench.test";
    private int _next = -1;

    public static async Task<int> RunAsync(string endPoint, int concurrency, int messages, bool tls, string population)
    {
        var folder = Path.Combine(population, "messages");
        var mails = File.ReadLines(Path.Combine(population, "envelopes.tsv"))
            .Select(line => line.Split('\t'))
            .Select(fields => new Mail(Payload(File.ReadAllBytes(Path.Combine(folder, fields[0]))), fields[1], fields[2].Split(',')))
            .ToList();
        var load = new TlsLoad(IPEndPoint.Parse(endPoint), messages, tls, mails);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(load.WorkerAsync)));
        var seconds = clock.Elapsed.TotalSeconds;
        var accepted = load._latencies.Count;
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"messages={messages} accepted={accepted} seconds={seconds:0.00} per_second={accepted / seconds:0.0} p50_ms={Percentile(load._latencies, 0.5):0.0} p99_ms={Percentile(load._latencies, 0.99):0.0} session_p50_ms={Percentile(load._sessions, 0.5):0.0} wait_p99_ms={string.Join('/', new[] { "mail", "rcpt", "data", "dot" }.Select(stage => $"{stage}:{Percentile(load._waits.GetValueOrDefault(stage) ?? [], 0.99):0}"))} slowest_reply_ms={TimeSpan.FromTicks(load._slowestReplyTicks).TotalMilliseconds:0} codes={string.Join(',', load._codes.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key}:{pair.Value}"))}"));
        return 0;
    }

    private static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
    }

    /// <summary>Dot-stuffed, CRLF, with the terminating dot line.</summary>
    private static byte[] Payload(byte[] message)
    {
        var text = Encoding.Latin1.GetString(message).Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
        if (!text.EndsWith("\r\n", StringComparison.Ordinal))
        {
            text += "\r\n";
        }

        var stuffed = string.Join("\r\n", text[..^2].Split("\r\n").Select(line => line.StartsWith('.') ? "." + line : line));
        return Encoding.Latin1.GetBytes(stuffed + "\r\n.\r\n");
    }

    private async Task WorkerAsync()
    {
        while (Interlocked.Increment(ref _next) is var n && n < messages)
        {
            var code = "io";
            var session = Stopwatch.StartNew();
            try
            {
                code = await SessionAsync(n, mails[n % mails.Count]);
                _sessions.Enqueue(session.Elapsed.TotalMilliseconds);
            }
            catch (Exception exception) when (exception is IOException or SocketException or System.Security.Authentication.AuthenticationException)
            {
                code = exception.GetType().Name;
            }

            _codes.AddOrUpdate(code, 1, (_, count) => count + 1);
        }
    }

    private async Task<string> SessionAsync(int n, Mail mail)
    {
        var client = n % Population.Clients + 1;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(target);
        Stream stream = new NetworkStream(socket, ownsSocket: false);
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"PROXY TCP4 {Population.ClientPrefix}{client} {target.Address} {40000 + n % 20000} 25\r\n"));
        var reader = new Reader(stream);
        if (await Reply(reader) is var greeting && !greeting.StartsWith('2'))
        {
            return greeting[..3];
        }

        var helo = $"EHLO mail{client}.clients.test";
        await Command(stream, reader, helo);
        if (tls)
        {
            if (await Command(stream, reader, "STARTTLS") is var refused && !refused.StartsWith('2'))
            {
                return "starttls-" + refused[..3];
            }

            var secure = new SslStream(stream, leaveInnerStreamOpen: false, (_, _, _, _) => true);
            await secure.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = Resume ? ResumeHost : target.Address.ToString(), AllowTlsResume = Resume });
            stream = secure;
            reader = new Reader(stream);
            await Command(stream, reader, helo);
        }

        var started = Stopwatch.GetTimestamp();
        if (await Command(stream, reader, $"MAIL FROM:<{mail.From}>", "mail") is var mailReply && !mailReply.StartsWith('2'))
        {
            return "mail-" + mailReply[..3];
        }

        var accepted = 0;
        foreach (var recipient in mail.Recipients)
        {
            accepted += await Command(stream, reader, $"RCPT TO:<{recipient}>", "rcpt") is ['2', ..] ? 1 : 0;
        }

        if (accepted == 0 || await Command(stream, reader, "DATA", "data") is not ['3', ..])
        {
            return "rcpt";
        }

        var sent = Stopwatch.GetTimestamp();
        await stream.WriteAsync(mail.Payload);
        var final = await reader.LineAsync();
        Record(Stopwatch.GetElapsedTime(sent), "dot");
        if (final.StartsWith('2'))
        {
            _latencies.Enqueue(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        await Command(stream, reader, "QUIT");
        await stream.DisposeAsync();
        return final[..3];
    }

    private async Task<string> Command(Stream stream, Reader reader, string command, string? stage = null)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
        return await Reply(reader, stage);
    }

    private async Task<string> Reply(Reader reader, string? stage = null)
    {
        var waited = Stopwatch.GetTimestamp();
        var line = await reader.LineAsync();
        Record(Stopwatch.GetElapsedTime(waited), stage);
        return line;
    }

    /// <summary>One reply wait: into its command's list (when it has one) and the slowest of all.</summary>
    private void Record(TimeSpan waited, string? stage)
    {
        if (stage is not null)
        {
            _waits.GetOrAdd(stage, _ => new ConcurrentQueue<double>()).Enqueue(waited.TotalMilliseconds);
        }

        long seen;
        while (waited.Ticks > (seen = Interlocked.Read(ref _slowestReplyTicks)) && Interlocked.CompareExchange(ref _slowestReplyTicks, waited.Ticks, seen) != seen)
        {
        }
    }

    /// <summary>Reads one (possibly multi-line) SMTP reply; returns its last line.</summary>
    private sealed class Reader(Stream stream)
    {
        private readonly byte[] _buffer = new byte[4096];
        private int _start;
        private int _end;

        public async Task<string> LineAsync()
        {
            while (true)
            {
                var line = await OneLineAsync();
                if (line.Length < 4 || line[3] != '-')
                {
                    return line.Length >= 3 ? line : throw new IOException($"short reply '{line}'");
                }
            }
        }

        private async Task<string> OneLineAsync()
        {
            var text = new StringBuilder();
            while (true)
            {
                var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
                if (newline >= 0)
                {
                    text.Append(Encoding.ASCII.GetString(_buffer, _start, newline - _start).TrimEnd('\r'));
                    _start = newline + 1;
                    return text.ToString();
                }

                text.Append(Encoding.ASCII.GetString(_buffer, _start, _end - _start));
                _start = 0;
                _end = await stream.ReadAsync(_buffer);
                if (_end == 0)
                {
                    throw new IOException("connection closed");
                }
            }
        }
    }
}
