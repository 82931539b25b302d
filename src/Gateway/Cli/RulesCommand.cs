using Gateway.Core.Configuration;
using Gateway.Core.Corpus;
using Gateway.Core.Pipeline;
using Gateway.Core.Rules;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using Gateway.Core.Classification;
using Gateway.Core.Authentication;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway rules check [DIR]</c> validates a policy folder; <c>gateway rules test [DIR]</c> runs its
/// rules/tests cases. Both work offline and without the classifier, so results depend on the rules alone.
/// </summary>
internal static class RulesCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var folder = args.Count > 1 ? args[1] : "rules";
        switch (args.FirstOrDefault())
        {
            case "check":
                var policy = Load(folder, error);
                if (policy is null)
                {
                    return 1;
                }

                await output.WriteLineAsync($"{folder}: ok, {policy.Rules.Rules.Count} rules, {policy.Symbols.Symbols.Count} symbol weights{(policy.Fitted is { } fitted ? $" ({fitted.Weights.Count} fitted in {ScoringPolicy.WeightsFileName}{(policy.ClassifierMap is null ? string.Empty : ", with a classifier map")})" : string.Empty)}, tag at {policy.Actions.Actions.Tag}, reject at {policy.Actions.Actions.Reject}");
                return 0;
            case "test":
                return await TestAsync(folder, output, error, cancellationToken);
            case "fit":
                return await FitCommand.RunAsync(args.Skip(1), output, error, cancellationToken);
            default:
                throw new UsageException("usage: gateway rules check [DIR] | gateway rules test [DIR] | gateway rules fit --ham NAME=DIR:BUDGET% --spam DIR ...");
        }
    }

    private static ScoringPolicy? Load(string folder, TextWriter error)
    {
        try
        {
            return ScoringPolicy.LoadFolder(folder);
        }
        catch (ConfigException exception)
        {
            error.WriteLine(exception.Message);
            return null;
        }
    }

    private static async Task<int> TestAsync(string folder, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var policy = Load(folder, error);
        if (policy is null)
        {
            return 1;
        }

        var testsFolder = Path.GetFullPath(Path.Combine(folder, "tests"));
        var files = Directory.Exists(testsFolder) ? Directory.GetFiles(testsFolder, "*.yaml").Order(StringComparer.Ordinal).ToList() : [];
        int passed = 0, failed = 0;
        foreach (var file in files)
        {
            var cases = YamlFile.Load<RuleTestsFile>(file, await File.ReadAllTextAsync(file, cancellationToken));
            foreach (var test in cases.Tests)
            {
                // Per case: the facts it states stand in for the checks that need DNS or the model.
                var scanner = new MessageScanner(new PipelineRunner([new FactsCheck(test.Facts), new RulesCheck([FactsCheck.CheckName])], TimeSpan.FromSeconds(10)), () => policy);
                var problems = await RunCaseAsync(scanner, testsFolder, test, cancellationToken);
                if (problems.Count == 0)
                {
                    passed++;
                    await output.WriteLineAsync($"ok    {test.Name}");
                }
                else
                {
                    failed++;
                    await output.WriteLineAsync($"FAIL  {test.Name} ({file}): {string.Join("; ", problems)}");
                }
            }
        }

        await output.WriteLineAsync($"rules: {passed} passed, {failed} failed");
        return failed == 0 && passed > 0 ? 0 : 1;
    }

    /// <summary>Puts a test case's stated authentication and classifier results on the message.</summary>
    private sealed class FactsCheck(RuleTestFacts facts) : IMessageCheck
    {
        public const string CheckName = "facts";

        public string Name => CheckName;

        public IReadOnlyList<string> DependsOn => [];

        public ValueTask<CheckStatus> RunAsync(MessageContext message, CancellationToken cancellationToken)
        {
            if (facts.Spf is { } spf)
            {
                message.Authentication.Spf = new Gateway.Core.Authentication.Spf.SpfOutcome(Enum.Parse<Gateway.Core.Authentication.Spf.SpfResult>(spf, ignoreCase: true), "test");
            }

            if (facts.Dkim is { } dkim)
            {
                message.Authentication.Dkim = dkim == "none" ? [] : [new Gateway.Core.Authentication.Dkim.DkimSignatureResult(Enum.Parse<Gateway.Core.Authentication.AuthResult>(dkim, ignoreCase: true), "test", "test", "rsa-sha256")];
            }

            if (facts.Dmarc is { } dmarc)
            {
                message.Authentication.Dmarc = new Gateway.Core.Authentication.Dmarc.DmarcOutcome(Enum.Parse<Gateway.Core.Authentication.AuthResult>(dmarc, ignoreCase: true), "test");
            }

            if (facts.SpamProbability is { } probability)
            {
                message.Classification = new Gateway.Core.Classification.ClassifierResult(probability, []);
            }

            foreach (var symbol in facts.Symbols)
            {
                message.Add(new SymbolHit(symbol, 1.0, "stated by the test case"));
            }

            return ValueTask.FromResult(CheckStatus.Completed);
        }
    }

    private static async Task<List<string>> RunCaseAsync(MessageScanner scanner, string testsFolder, RuleTestCase test, CancellationToken cancellationToken)
    {
        var path = Path.GetFullPath(test.Message, testsFolder);
        if (!File.Exists(path))
        {
            return [$"message file {path} does not exist"];
        }

        var raw = MessageFiles.Enumerate(path).First().Raw;
        var envelope = new Envelope(IPAddress.TryParse(test.Ip, out var ip) ? ip : IPAddress.None, test.Helo, test.From, test.Rcpt);
        var scan = await scanner.ScanAsync("rules-test", envelope, raw, cancellationToken);
        var symbols = scan.Verdict.Symbols.Select(symbol => symbol.Name).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        var action = scan.Verdict.Action.ToString().ToLowerInvariant();
        if (test.Expect.Action is { Length: > 0 } expected && expected != action)
        {
            problems.Add($"expected action {expected}, got {action} (score {scan.Verdict.Score:0.00})");
        }

        problems.AddRange(test.Expect.Symbols.Where(symbol => !symbols.Contains(symbol)).Select(symbol => $"missing symbol {symbol}"));
        problems.AddRange(test.Expect.Absent.Where(symbols.Contains).Select(symbol => $"unexpected symbol {symbol}"));
        return problems;
    }
}
