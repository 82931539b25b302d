using CsCheck;
using Gateway.Core.Authentication.Arc;
using Gateway.Core.Authentication.Dkim;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Classification;
using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Reputation;
using Gateway.Core.Rules;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using Gateway.Core.Tests.Dns;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gateway.Core.Tests.Fuzz;

/// <summary>
/// The MIME and feature path fuzzed: the shipped rule test messages, mutated byte-wise and with MIME
/// structure tokens, through every check (authentication against an empty DNS, DNS lists, classifier
/// with the shipped model, the shipped rules). Property: each message gets a verdict and no check
/// fails (a CHECK_ERROR here is a crash the fallback would hide). CI runs a few hundred cases and the
/// regression corpus in tests/fuzz/mime; <c>FUZZ_SECONDS=600 bash tests/fuzz.sh</c> runs longer.
/// </summary>
public sealed class MimePathFuzzTests : IDisposable
{
    private static readonly byte[][] Seeds = [.. Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "rules", "tests", "messages"), "*.eml").Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];

    private static readonly byte[][] Tokens = [.. new[]
    {
        "\r\n", "\r\n\r\n", "\n", "\r", "\0", "=\r\n", "=?utf-8?B?", "=?iso-8859-1?Q?=E9?=", "?=", "\r\n--", "--\r\n",
        "Content-Type: multipart/mixed; boundary=\"x\"\r\n\r\n--x\r\n", "Content-Type: message/rfc822\r\n\r\n",
        "Content-Transfer-Encoding: base64\r\n", "Content-Transfer-Encoding: quoted-printable\r\n", "Content-Type: text/html; charset=\"x-unknown\"\r\n",
        "Content-Disposition: attachment; filename*=utf-8''%E2%80%AEexe.pdf\r\n", "Content-Type: application/zip; name=\"a.zip\"\r\n",
        "<a href=\"hxxp://x[.]test@y.test/\">", "<script>", "<!--", "&#x", "http://", "xn--", "PK\u0003\u0004",
        "DKIM-Signature: v=1; a=rsa-sha256; d=x.test; s=s; h=from; bh=; b=\r\n", "ARC-Seal: i=1; cv=none; a=rsa-sha256; d=x.test; s=s; b=\r\n",
        "From: \"a\" <>, <@>, ;\r\n", "begin 644 x.exe\r\n", "\u00ff\u00fe", new string('A', 5000),
    }.Select(System.Text.Encoding.Latin1.GetBytes)];

    private readonly ModelSource _models = new(Path.Combine(RepositoryRoot.Path, "models", "spam.zip"), NullLogger.Instance);
    private readonly ScoringPolicy _policy = ScoringPolicy.LoadFolder(Path.Combine(RepositoryRoot.Path, "rules"));

    /// <summary>A seed and a few mutations: (kind, where as a fraction, length or token, random byte).</summary>
    private static readonly Gen<byte[]> Messages =
        from seed in Gen.Int[0, Seeds.Length - 1]
        from mutations in Gen.Select(Gen.Int[0, 5], Gen.Double[0, 1], Gen.Int[0, 4000], Gen.Byte).Array[1, 8]
        select Mutate(Seeds[seed], mutations);

    public void Dispose() => _models.Dispose();

    [Fact]
    public void Mutated_messages_always_get_a_verdict_and_never_a_check_error() =>
        Messages.Sample(raw => FuzzFindings.Keep("mime", ".eml", raw, () => AssertScans(raw)), iter: Iterations, time: Seconds, threads: 1);

    public static TheoryData<string> Regressions() => [.. Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "tests", "fuzz", "mime")).Order(StringComparer.Ordinal).Select(path => Path.GetFileName(path))];

    [Theory]
    [MemberData(nameof(Regressions))]
    public void Regression_corpus_messages_get_a_verdict(string file) =>
        AssertScans(File.ReadAllBytes(Path.Combine(RepositoryRoot.Path, "tests", "fuzz", "mime", file)));

    private static long Iterations => Seconds > 0 ? -1 : 300;

    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SECONDS"), out var seconds) ? seconds : -1;

    private void AssertScans(byte[] raw)
    {
        var dns = new FakeDnsResolver();
        IMessageCheck[] checks =
        [
            new ClassifierCheck(_models),
            new SpfCheck(new SpfEvaluator(dns, "gateway.test")),
            new DkimCheck(new DkimVerification(dns, TimeProvider.System)),
            new ArcCheck(new ArcVerification(dns)),
            new DmarcCheck(new DmarcEvaluator(dns), new AuthenticationOptions()),
            new DnsListCheck(dns),
        ];
        var scanner = new MessageScanner(new PipelineRunner([.. checks, new RulesCheck([.. checks.Select(check => check.Name)])], TimeSpan.FromSeconds(30)), () => _policy, maxMimeDepth: 32);
        var envelope = new Envelope(IPAddress.Parse("192.0.2.1"), "helo.test", "sender@sender.test", ["user@example.test"]);

        var scan = scanner.ScanAsync("fuzz", envelope, raw, CancellationToken.None).GetAwaiter().GetResult();

        var failure = scan.Context.Symbols.FirstOrDefault(symbol => symbol.Name == PipelineRunner.CheckErrorSymbol);
        Assert.True(failure is null, $"a check failed: {failure?.Detail}");
        Assert.True(Enum.IsDefined(scan.Verdict.Action));
    }

    private static byte[] Mutate(byte[] seed, (int Kind, double Where, int Amount, byte Value)[] mutations)
    {
        var bytes = new List<byte>(seed);
        foreach (var (kind, where, amount, value) in mutations)
        {
            var at = (int)(where * bytes.Count);
            switch (kind)
            {
                case 0: // overwrite one byte
                    if (at < bytes.Count)
                    {
                        bytes[at] = value;
                    }

                    break;
                case 1: // insert a structure token
                    bytes.InsertRange(at, Tokens[amount % Tokens.Length]);
                    break;
                case 2: // delete a range
                    bytes.RemoveRange(at, Math.Min(amount % 200, bytes.Count - at));
                    break;
                case 3: // repeat a range (nesting, header floods)
                    var length = Math.Min(1 + (amount % 120), bytes.Count - at);
                    var chunk = bytes.GetRange(at, length);
                    for (var i = 0; i < value % 40; i++)
                    {
                        bytes.InsertRange(at, chunk);
                    }

                    break;
                case 4: // truncate
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                default: // random bytes
                    bytes.InsertRange(at, Enumerable.Range(0, amount % 64).Select(i => (byte)(value * 31 + i * 17)));
                    break;
            }
        }

        return [.. bytes];
    }
}
