using System.Net.Sockets;
using System.Text.RegularExpressions;
using CsCheck;

namespace Gateway.IntegrationTests;

/// <summary>
/// The SMTP command path fuzzed over real sockets: sessions of commands from the protocol's vocabulary
/// with hostile arguments, random bytes, and every line ending (CRLF, LF, CR, none), pipelined, then
/// CRLF.CRLF and QUIT. Property: everything the gateway says is a well-formed reply line, and it ends
/// every session (never hangs); afterwards it still delivers a normal message. CI runs a couple of
/// hundred sessions and the regression corpus in tests/fuzz/smtp; <c>FUZZ_SECONDS=600 bash tests/fuzz.sh</c>
/// runs longer.
/// </summary>
public sealed partial class SmtpFuzzTests
{
    private static readonly string[] Verbs =
    [
        "EHLO", "HELO", "MAIL FROM:", "RCPT TO:", "DATA", "RSET", "NOOP", "VRFY", "EXPN", "HELP", "QUIT", "STARTTLS",
        "AUTH PLAIN", "BDAT 10 LAST", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2", "XCLIENT ADDR=1.2.3.4", ".", "..", "",
    ];

    private static readonly string[] Arguments =
    [
        "", " ", "client.test", "[127.0.0.1]", "[IPv6:::1]", "<sender@remote.test>", "<user@example.test>", "<>", "<@a,@b:c@d>",
        "<user@example.test> SIZE=99999999999999999999", "<a@b> BODY=8BITMIME SMTPUTF8", "<\u00fc@\u00e9.test>", "<\"quoted\\\"\"@example.test>",
        "<user@example.test", "user@example.test>", "<%s%n%x@example.test>", "<" + new string('a', 300) + "@example.test>",
        "\u0000", "\u00ff\u00fe", "\t\t", "=?utf-8?B?AAAA?=",
    ];

    private static readonly byte[][] Endings = [[13, 10], [10], [13], []];

    private static readonly Gen<byte[]> Sessions =
        from lines in Gen.Select(Gen.Int[0, Verbs.Length], Gen.Int[0, Arguments.Length - 1], Gen.Int[0, Endings.Length - 1], Gen.Byte.Array[0, 40]).Array[1, 25]
        select Session(lines);

    [Fact(Timeout = 300_000)]
    public async Task Random_sessions_get_well_formed_replies_and_always_end()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } });

        await Sessions.SampleAsync(session => FuzzFindings.KeepAsync("smtp", ".txt", session, () => RunSessionAsync(gateway.EndPoint, session)), iter: Iterations, time: Seconds, threads: 4);

        await TestMessages.SendAsync(gateway.EndPoint, TestMessages.Create(subject: "after the fuzz"));
        Assert.Contains(downstream.Messages, message => Encoding.UTF8.GetString(message.Raw).Contains("after the fuzz", StringComparison.Ordinal));
    }

    public static TheoryData<string> Regressions() => [.. Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "tests", "fuzz", "smtp")).Order(StringComparer.Ordinal).Select(path => Path.GetFileName(path))];

    [Theory(Timeout = 60_000)]
    [MemberData(nameof(Regressions))]
    public async Task Regression_corpus_sessions_get_well_formed_replies_and_end(string file)
    {
        await using var downstream = await FakeDownstream.StartAsync();
        await using var gateway = await TestGateway.StartAsync(downstream.EndPoint, options => options with { Classifier = options.Classifier with { Enabled = false } });

        await RunSessionAsync(gateway.EndPoint, [.. File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, "tests", "fuzz", "smtp", file)), .. "\r\n.\r\nQUIT\r\n"u8]);
    }

    private static long Iterations => Seconds > 0 ? -1 : 150;

    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SECONDS"), out var seconds) ? seconds : -1;

    private static byte[] Session((int Verb, int Argument, int Ending, byte[] Noise)[] lines)
    {
        var bytes = new List<byte>();
        foreach (var (verb, argument, ending, noise) in lines)
        {
            if (verb == Verbs.Length)
            {
                bytes.AddRange(noise); // raw bytes, whatever they are
            }
            else
            {
                var separator = Verbs[verb].EndsWith(':') || Arguments[argument].Length == 0 ? "" : " ";
                bytes.AddRange(Encoding.UTF8.GetBytes(Verbs[verb] + separator + Arguments[argument]));
            }

            bytes.AddRange(Endings[ending]);
        }

        bytes.AddRange("\r\n.\r\nQUIT\r\n"u8.ToArray());
        return [.. bytes];
    }

    private static async Task RunSessionAsync(IPEndPoint gateway, byte[] session)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway);
        var stream = tcp.GetStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var reading = ReadAllAsync(stream, timeout.Token);
        try
        {
            await stream.WriteAsync(session, timeout.Token);
        }
        catch (IOException)
        {
            // The gateway may close first (too many errors, a line too long): what it said is checked below.
        }

        var said = await reading;
        foreach (var line in said.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.True(ReplyLine().IsMatch(line), $"not an SMTP reply line: '{line}' in\n{said}");
        }
    }

    private static async Task<string> ReadAllAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var output = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
            {
                output.Write(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // Reset after its last word: still an end.
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the session did not end within 30 s; said so far:\n{Encoding.Latin1.GetString(output.ToArray())}");
        }

        return Encoding.Latin1.GetString(output.ToArray());
    }

    [GeneratedRegex(@"^[2-5][0-9]{2}([ -].*)?$")]
    private static partial Regex ReplyLine();
}
