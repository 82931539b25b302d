using System.Net.Http.Headers;
using System.Net.Sockets;

namespace Gateway.IntegrationTests.Hostile;

/// <summary>
/// The operators' HTTP listener (metrics, health, /learn) under abuse, in a gateway process of its own:
/// thousands of idle and half-sent connections must not take SMTP's file descriptors, and /learn must
/// neither read an endless chunked body into memory nor answer anyone without the site's credential.
/// </summary>
public sealed class HttpListenerTests
{
    private static int OpenDescriptors(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    [Fact(Timeout = 180_000)]
    public async Task Thousands_of_idle_and_half_sent_http_connections_leave_smtp_alone_and_are_let_go()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        var metrics = FreePort.Next();
        await using var gateway = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, metricsPort: metrics);
        var before = OpenDescriptors(gateway.Pid);
        var attackers = new List<TcpClient>();
        try
        {
            for (var i = 0; i < 2500; i++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, metrics);
                if (i % 5 == 0)
                {
                    // Half a request header, never finished.
                    await client.GetStream().WriteAsync("GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: "u8.ToArray());
                }

                attackers.Add(client);
            }

            await Task.Delay(500);
            var during = OpenDescriptors(gateway.Pid);
            for (var i = 0; i < 5; i++)
            {
                // MailKit throws unless the gateway answered 250.
                await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: $"while the metrics port is flooded {i}"));
            }

            Assert.Equal(5, downstream.Messages.Count);
            Assert.True(during - before < 200, $"the gateway held {during - before} more descriptors with 2500 HTTP connections open");

            // The held ones are closed by the server within the header timeout; then a scrape works.
            var closedByServer = 0;
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await Task.WhenAll(attackers.Select(async client =>
            {
                try
                {
                    var buffer = new byte[256];
                    while (await client.GetStream().ReadAsync(buffer, deadline.Token) > 0)
                    {
                    }
                }
                catch (IOException)
                {
                }

                Interlocked.Increment(ref closedByServer);
            }));
            Assert.Equal(attackers.Count, closedByServer);
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            Assert.Equal("ok", (await http.GetStringAsync($"http://127.0.0.1:{metrics}/health")).Trim());
            Assert.False(gateway.HasExited);
        }
        finally
        {
            attackers.ForEach(client => client.Dispose());
        }
    }

    [Fact(Timeout = 120_000)]
    public async Task Learn_wants_the_sites_credential_and_stops_reading_a_chunked_body_at_the_size_cap()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        await using var downstream = await FakeDownstream.StartAsync();
        var metrics = FreePort.Next();
        await using var gateway = await GatewayProcess.StartAsync(downstream.EndPoint, dns.EndPoint, metricsPort: metrics);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var message = TestMessages.Wire("learn me", "cheap replica watches\r\n");

        var anonymous = await http.PostAsync(new Uri($"http://127.0.0.1:{metrics}/learn/spam"), new ByteArrayContent(message));
        var forget = await http.PostAsync(new Uri($"http://127.0.0.1:{metrics}/learn/forget?source=cli"), null);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{metrics}/learn/spam") { Content = new ByteArrayContent(message) };
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", new string('0', 64));
        var wrongToken = await http.SendAsync(wrong);

        // 300 MiB offered chunked (no Content-Length): refused once limits.max_message_size (25 MiB) has been read, and the process stays small.
        using var huge = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{metrics}/learn/spam") { Content = new EndlessContent(300L * 1024 * 1024) };
        huge.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gateway.LearnToken);
        huge.Headers.TransferEncodingChunked = true;
        HttpStatusCode? hugeStatus = null;
        try
        {
            hugeStatus = (await http.SendAsync(huge)).StatusCode;
        }
        catch (HttpRequestException)
        {
            // The server may close the connection while we are still sending: refused all the same.
        }

        using var right = new HttpRequestMessage(HttpMethod.Post, $"http://127.0.0.1:{metrics}/learn/spam?source=alice") { Content = new ByteArrayContent(message) };
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gateway.LearnToken);
        var learned = await http.SendAsync(right);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forget.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.StatusCode);
        Assert.True(hugeStatus is null or HttpStatusCode.RequestEntityTooLarge, $"a 300 MiB chunked body got {hugeStatus}");
        Assert.Equal("learned", (await learned.Content.ReadAsStringAsync()).Trim());
        var resident = File.ReadAllLines($"/proc/{gateway.Pid}/status").Single(line => line.StartsWith("VmHWM:", StringComparison.Ordinal));
        Assert.True(long.Parse(resident.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) < 400_000, resident);
        Assert.False(gateway.HasExited);
    }

    /// <summary>N bytes of "a", produced as they are sent (nothing held in the test's memory).</summary>
    private sealed class EndlessContent(long length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var block = Enumerable.Repeat((byte)'a', 64 * 1024).ToArray();
            for (long sent = 0; sent < length; sent += block.Length)
            {
                await stream.WriteAsync(block);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
