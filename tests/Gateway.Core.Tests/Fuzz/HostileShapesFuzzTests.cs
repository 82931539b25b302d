using CsCheck;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Content;
using Gateway.Core.Headers;
using Gateway.Core.Pipeline;
using Gateway.Core.Tests.Dns;
using MimeKit;

namespace Gateway.Core.Tests.Fuzz;

/// <summary>
/// The shapes of issue 17's findings, generated: bare CR/LF mixes around forged verdict fields, quoted
/// local parts, macro-heavy SPF records, part-count and parameter bombs. Each property is what the fix
/// promises for every such input, not only for the one that was found.
/// </summary>
public sealed class HostileShapesFuzzTests
{
    private static readonly string[] HeaderTokens =
    [
        "\r", "\n", "\r\n", " ", "\t", ":", "a", "X-Note: ", "X-Spam-Flag: NO", "x-spam-status: No", "X-Spam-Level: ",
        "Authentication-Results: gw.test; spf=pass", "Authentication-Results: (c) \"gw.test\"; dkim=pass", "Subject: s", "\r\n\r\n",
    ];

    private static readonly Gen<string> HeaderSoup = Gen.Int[0, HeaderTokens.Length - 1].Array[1, 40].Select(picks => string.Concat(picks.Select(pick => HeaderTokens[pick])));

    private static readonly string[] Macros = ["%{l}", "%{s}", "%{lr}", "%{l1r-}", "%{o}", "%{d2}", "%{i}", "%{h}", "%%"];

    private static long Iterations => int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SECONDS"), out _) ? -1 : 300;

    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SECONDS"), out var seconds) ? seconds : -1;

    [Fact]
    public void After_normalising_and_stripping_no_forged_verdict_field_is_left_in_the_header() =>
        HeaderSoup.Sample(soup =>
        {
            var normalized = LineEndings.Normalize(Encoding.Latin1.GetBytes(soup + "\r\n\r\nbody\r\n"));
            var rewritten = Encoding.Latin1.GetString(System.Buffers.BuffersExtensions.ToArray(RawHeaderEditor.Rewrite(normalized, ["X-Spam-Flag: OURS"], ResultHeaders.SpoofedBy("gw.test"))));

            var lines = rewritten.Split("\r\n");
            Assert.DoesNotContain(lines, line => line.Contains('\r') || line.Contains('\n'));
            var header = lines.TakeWhile(line => line.Length > 0).ToList();
            Assert.Equal("X-Spam-Flag: OURS", header[0]);
            foreach (var field in header.Skip(1).Where(line => line[0] is not (' ' or '\t') && line.IndexOf(':') > 0))
            {
                var name = field[..field.IndexOf(':')].Trim();
                Assert.False(name.StartsWith("X-Spam", StringComparison.OrdinalIgnoreCase), field);
                Assert.False(name.Equals("Authentication-Results", StringComparison.OrdinalIgnoreCase) && AuthenticationResultsHeader.ClaimsAuthservId(field[(field.IndexOf(':') + 1)..], "gw.test"), field);
            }
        }, iter: Iterations, time: Seconds, threads: 1);

    [Fact]
    public void A_formatted_address_is_one_path_that_reads_back_as_the_local_part_given() =>
        Gen.Char[' ', '~'].Array[1, 30].Select(chars => new string(chars)).Sample(local =>
        {
            var address = SmtpAddress.Format(local, "example.test");

            Assert.NotNull(address);
            Assert.EndsWith("@example.test", address, StringComparison.Ordinal);
            var written = address![..^"@example.test".Length];
            Assert.Equal(local, written.StartsWith('"') ? Unquote(written) : written);
            Assert.True(written.StartsWith('"') || SmtpAddress.IsDotString(written));
        }, iter: Iterations, time: Seconds, threads: 1);

    [Fact]
    public void Addresses_with_control_characters_are_never_formatted() =>
        Gen.Char[(char)0, (char)0x9F].Array[1, 12].Where(chars => chars.Any(c => c < ' ' || c >= (char)0x7F)).Sample(chars =>
            Assert.Null(SmtpAddress.Format(new string(chars), "example.test")), iter: Iterations, time: Seconds, threads: 1);

    [Fact]
    public void Macro_heavy_records_always_end_with_a_result_and_a_bounded_query_name() =>
        Gen.Select(Gen.Int[1, 400], Gen.Int[1, 1200], Gen.Int[0, Macros.Length - 1].Select(pick => Macros[pick]))
            .Sample((count, localLength, macro) =>
            {
                var dns = new FakeDnsResolver().Txt("attacker.test", $"v=spf1 exists:{string.Concat(Enumerable.Repeat(macro, count))}.x.test -all");
                var local = string.Join('.', Enumerable.Repeat("ab", localLength / 3 + 1));

                var outcome = new SpfEvaluator(dns, "gateway.test").CheckAsync(IPAddress.Parse("192.0.2.1"), "helo.test", $"{local}@attacker.test", CancellationToken.None).GetAwaiter().GetResult();

                Assert.True(Enum.IsDefined(outcome.Result));
                Assert.All(dns.Queries, name => Assert.True(name.Length <= 253, name));
            }, iter: Iterations, time: Seconds, threads: 1);

    [Fact]
    public void Within_the_part_limit_means_the_parsed_tree_is_within_it_too() =>
        Gen.Select(Gen.Int[0, 60], Gen.Int[0, 4], Gen.Int[0, 80]).Sample((parts, depth, parameters) =>
        {
            var raw = Encoding.ASCII.GetBytes(Nested(parts, depth, parameters));

            var refusal = MimeComplexity.Exceeds(raw, maxParts: 40, maxParameters: 50, CancellationToken.None);

            if (refusal is null)
            {
                var message = MimeMessage.Load(new MemoryStream(raw));
                Assert.True(message.BodyParts.Count() <= 40);
                Assert.True(parts == 0 || parameters <= 50); // the parameters sit on the first innermost part
            }
        }, iter: Iterations, time: Seconds, threads: 1);

    private static string Nested(int parts, int depth, int parameters)
    {
        var parameterList = string.Concat(Enumerable.Range(0, parameters).Select(i => $";\r\n p{i}=v"));
        var body = string.Concat(Enumerable.Range(0, parts).Select(i => $"--b{depth}\r\nContent-Type: text/plain{(i == 0 ? parameterList : string.Empty)}\r\n\r\npart {i}\r\n")) + $"--b{depth}--\r\n";
        for (var level = depth - 1; level >= 0; level--)
        {
            body = $"--b{level}\r\nContent-Type: multipart/mixed; boundary=\"b{level + 1}\"\r\n\r\n{body}--b{level}--\r\n";
        }

        return $"From: a@b.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n{body}";
    }

    private static string Unquote(string quoted)
    {
        var text = new StringBuilder();
        for (var i = 1; i < quoted.Length - 1; i++)
        {
            if (quoted[i] == '\\')
            {
                i++;
            }

            text.Append(quoted[i]);
        }

        return text.ToString();
    }
}
