using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Dns;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Gateway.IntegrationTests.Authentication;

/// <summary>
/// The openspf/pyspf RFC 7208 suite (../shared/conformance/spf), every scenario served from a real DNS
/// server on loopback and evaluated by our SpfEvaluator through DnsClient.
/// </summary>
public sealed class SpfConformanceTests(ITestOutputHelper output)
{
    [SkippableTheory(Timeout = 300_000)]
    [InlineData("rfc7208-tests.yml")]
    [InlineData("rfc4408-tests.yml")]
    public async Task Every_scenario_of_the_suite_passes(string file)
    {
        SharedData.Require($"conformance/spf/{file}");
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(RepositoryRoot.Shared, "conformance", "spf", file))));
        await using var dns = await LoopbackDnsServer.StartAsync();
        var failures = new List<string>();
        var total = 0;

        foreach (var document in stream.Documents)
        {
            var scenario = (YamlMappingNode)document.RootNode;
            dns.Clear();
            LoadZone(dns, scenario);

            // A fresh resolver per scenario: names repeat across scenarios with other data, so no cache may carry over.
            var evaluator = new SpfEvaluator(new DnsClientResolver(dns.Options(TimeSpan.FromSeconds(1))), "receivingmta.example.com");
            foreach (var (name, testNode) in ((YamlMappingNode)scenario["tests"]).Children)
            {
                total++;
                var test = (YamlMappingNode)testNode;
                var expected = Results(test["result"]);
                var outcome = await evaluator.CheckAsync(IPAddress.Parse(Text(test, "host")!), Text(test, "helo") ?? string.Empty, Text(test, "mailfrom"), CancellationToken.None);
                var actual = outcome.Result.ToString().ToLowerInvariant();
                var explanation = Text(test, "explanation");
                if (!expected.Contains(actual))
                {
                    failures.Add($"{name}: expected {string.Join('|', expected)}, got {actual} ({outcome.Reason})");
                }
                else if (explanation is not null && actual == "fail" && !ExplanationMatches(explanation, outcome.Explanation))
                {
                    failures.Add($"{name}: expected explanation '{explanation}', got '{outcome.Explanation}'");
                }
            }
        }

        output.WriteLine($"{file}: {total - failures.Count} passed / {total}");
        foreach (var failure in failures)
        {
            output.WriteLine(failure);
        }

        Assert.True(failures.Count == 0, $"{file}: {total - failures.Count}/{total} passed\n" + string.Join('\n', failures));
    }

    /// <summary>"DEFAULT" stands for the implementation's own default. Case is ignored: the suite writes %{i} nibbles upper case, RFC 7208's example lower case.</summary>
    private static bool ExplanationMatches(string expected, string? actual) =>
        expected == "DEFAULT" ? actual == SpfEvaluator.DefaultExplanation : string.Equals(expected, actual, StringComparison.OrdinalIgnoreCase);

    private static string? Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    private static HashSet<string> Results(YamlNode node) => node is YamlSequenceNode list
        ? [.. list.Children.Select(item => ((YamlScalarNode)item).Value!)]
        : [((YamlScalarNode)node).Value!];

    private static void LoadZone(LoopbackDnsServer dns, YamlMappingNode scenario)
    {
        if (!scenario.Children.TryGetValue(new YamlScalarNode("zonedata"), out var zoneNode) || zoneNode is not YamlMappingNode zone)
        {
            return;
        }

        foreach (var (nameNode, recordsNode) in zone.Children)
        {
            var name = ((YamlScalarNode)nameNode).Value!;
            var records = ((YamlSequenceNode)recordsNode).Children;
            var hasTxt = records.OfType<YamlMappingNode>().Any(record => Type(record) == "TXT");
            foreach (var recordNode in records)
            {
                if (recordNode is YamlScalarNode { Value: "TIMEOUT" })
                {
                    dns.AddTimeout(name);
                    continue;
                }

                var record = (YamlMappingNode)recordNode;
                var value = record.Children.Single().Value;
                switch (Type(record))
                {
                    case "TXT" when value is YamlScalarNode { Value: "NONE" }:
                        // The suite's way to say "no TXT record here" (so SPF records are not copied either).
                        break;
                    case "TXT":
                        dns.Add(LoopbackDnsServer.Txt(name, Strings(value)));
                        break;
                    case "SPF":
                        dns.Add(LoopbackDnsServer.Txt(name, Strings(value), (RecordType)99)); // type SPF, obsolete since RFC 7208 3.1
                        if (!hasTxt)
                        {
                            // The suite's rule: SPF (type 99) records also count as TXT when the name has no TXT.
                            dns.Add(LoopbackDnsServer.Txt(name, Strings(value)));
                        }

                        break;
                    case "A":
                    case "AAAA":
                        dns.Add(LoopbackDnsServer.Address(name, IPAddress.Parse(((YamlScalarNode)value).Value!)));
                        break;
                    case "MX":
                        var mx = (YamlSequenceNode)value;
                        dns.AddMx(name, int.Parse(((YamlScalarNode)mx.Children[0]).Value!, System.Globalization.CultureInfo.InvariantCulture), ((YamlScalarNode)mx.Children[1]).Value!);
                        break;
                    case "PTR":
                        dns.AddPtr(name, ((YamlScalarNode)value).Value!);
                        break;
                    case "CNAME":
                        dns.AddCname(name, ((YamlScalarNode)value).Value!);
                        break;
                    default:
                        throw new InvalidOperationException($"record type {Type(record)} in the suite is not handled");
                }
            }
        }
    }

    private static string Type(YamlMappingNode record) => ((YamlScalarNode)record.Children.Single().Key).Value!;

    private static IEnumerable<string> Strings(YamlNode value) => value is YamlSequenceNode list
        ? list.Children.Select(item => ((YamlScalarNode)item).Value ?? string.Empty)
        : [((YamlScalarNode)value).Value ?? string.Empty];
}
