namespace Gateway.IntegrationTests;

/// <summary>
/// gateway rules fit end to end on a small labelled set: the mass-check, the weights file it writes (which
/// the rules folder loads and which changes verdicts as fitted), the log reused, an unmeetable budget refused.
/// </summary>
public sealed class RulesFitTests
{
    private sealed record Site(string Root, string Rules, string Config, string Ham, string Spam, string Log);

    /// <summary>Newsletters that two shared rules tag (3 + 2.5 >= 5) and spam with the same two plus a third.</summary>
    private static Site Create(int forcedHam = 0)
    {
        var root = Directory.CreateTempSubdirectory("rules-fit-").FullName;
        var rules = Directory.CreateDirectory(Path.Combine(root, "rules")).FullName;
        File.WriteAllText(Path.Combine(rules, "actions.yaml"), "actions:\n  tag: 5\n  reject: 12\n");
        File.WriteAllText(Path.Combine(rules, "symbols.yaml"), "groups:\n  content: {max_score: 4}\nsymbols: {}\n");
        File.WriteAllText(Path.Combine(rules, "site.rules.yaml"), """
            rules:
              - name: SHARED_ALPHA
                when: {subject: {contains: alpha}}
                score: 3.0
                group: content
              - name: SHARED_BETA
                when: {subject: {contains: beta}}
                score: 2.5
              - name: SPAMMY_CASINO
                when: {body.text: {contains: casino}}
                score: 1.0
              - name: FORCED_LOOK
                when: {subject: {contains: forcedtag}}
                action: tag
            """);
        var config = Path.Combine(root, "gateway.yaml");
        File.WriteAllText(config, $"domains: [example.test]\nrules: {rules}\nclassifier: {{enabled: false}}\nmetrics: {{listen: \"\"}}\n");
        var ham = Directory.CreateDirectory(Path.Combine(root, "ham")).FullName;
        var spam = Directory.CreateDirectory(Path.Combine(root, "spam")).FullName;
        for (var i = 0; i < 12; i++)
        {
            var subject = i < forcedHam ? $"forcedtag alpha news {i}" : $"alpha beta newsletter {i}";
            File.WriteAllText(Path.Combine(ham, $"{i:00}.eml"), Message($"news{i}@shop.example", subject, "Our autumn range is in the shop."));
            File.WriteAllText(Path.Combine(spam, $"{i:00}.eml"), Message($"x{i}@spam.example", $"alpha beta win {i}", "Play at the casino tonight."));
        }

        return new Site(root, rules, config, ham, spam, Path.Combine(root, "masscheck.jsonl"));
    }

    private static string Message(string from, string subject, string body) =>
        $"From: {from}\r\nTo: you@example.test\r\nSubject: {subject}\r\nDate: Mon, 07 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@example>\r\n\r\n{body}\r\n";

    private static Task<(int ExitCode, string Output, string Error)> FitAsync(Site site, string budget = "0%") =>
        GatewayCli.RunAsync("rules", "fit", "--config", site.Config, "--ham", $"news={site.Ham}:{budget}", "--spam", site.Spam, "--log", site.Log, "--folds", "3", "--min-hits", "2");

    [Fact]
    public async Task A_fit_writes_weights_the_rules_folder_loads_which_untag_the_ham_and_keep_the_spam()
    {
        var site = Create();
        var hamMessage = Path.Combine(site.Ham, "03.eml");
        var spamMessage = Path.Combine(site.Spam, "03.eml");
        var (_, hamBefore, _) = await GatewayCli.RunAsync("check", "--offline", "--config", site.Config, hamMessage);

        var (exitCode, output, error) = await FitAsync(site);
        var (checkExit, checkOutput, _) = await GatewayCli.RunAsync("rules", "check", site.Rules);
        var (_, hamAfter, _) = await GatewayCli.RunAsync("check", "--offline", "--config", site.Config, hamMessage);
        var (_, spamAfter, _) = await GatewayCli.RunAsync("check", "--offline", "--config", site.Config, spamMessage);

        Assert.Contains(": tag score=5.50", hamBefore, StringComparison.Ordinal);
        Assert.True(exitCode == 0, error);
        Assert.Contains("mass-check log " + site.Log + ": written (24 messages)", error, StringComparison.Ordinal);
        Assert.Matches(@"news\s+ham\s+12\s+0 %\s+12 \(100\.0 %\)\s+0 \(0\.0 %\)", output); // flagged now, and on folds not fitted on
        Assert.Matches(@"spam\s+spam\s+12\s+-\s+12 \(100\.0 %\)\s+12 \(100\.0 %\)", output);
        var weights = File.ReadAllText(Path.Combine(site.Rules, "weights.yaml"));
        Assert.Contains("# Written by `gateway rules fit`", weights, StringComparison.Ordinal);
        Assert.Contains("command: \"gateway rules fit --config", weights, StringComparison.Ordinal);
        Assert.Contains("  SPAMMY_CASINO: ", weights, StringComparison.Ordinal);
        Assert.DoesNotContain("FORCED_LOOK", weights, StringComparison.Ordinal);
        Assert.Equal(0, checkExit);
        Assert.Contains("fitted in weights.yaml", checkOutput, StringComparison.Ordinal);
        Assert.Contains(": accept score=", hamAfter, StringComparison.Ordinal);
        Assert.Contains(": tag score=", spamAfter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_mass_check_log_is_reused_until_a_message_changes()
    {
        var site = Create();
        await FitAsync(site);
        var written = File.ReadAllBytes(site.Log);

        var (reusedExit, _, reused) = await FitAsync(site);
        var unchanged = File.ReadAllBytes(site.Log);
        File.AppendAllText(Path.Combine(site.Ham, "05.eml"), "One more line.\r\n");
        var (_, _, rescanned) = await FitAsync(site);

        Assert.Equal(0, reusedExit);
        Assert.Contains(": reused (24 messages;", reused, StringComparison.Ordinal);
        Assert.DoesNotContain("mass-checked", reused, StringComparison.Ordinal);
        Assert.Equal(written, unchanged);
        Assert.Contains(": written (24 messages)", rescanned, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_trade_curve_of_a_source_is_printed_from_the_log_and_nothing_is_written()
    {
        var site = Create();
        await FitAsync(site);
        File.Delete(Path.Combine(site.Rules, "weights.yaml"));

        var (exitCode, output, error) = await GatewayCli.RunAsync("rules", "fit", "--config", site.Config, "--ham", $"news={site.Ham}:2%", "--spam", site.Spam, "--log", site.Log, "--folds", "3", "--min-hits", "2", "--curve", "news");
        var (unknown, _, unknownError) = await GatewayCli.RunAsync("rules", "fit", "--config", site.Config, "--ham", $"news={site.Ham}:2%", "--spam", site.Spam, "--log", site.Log, "--curve", "spam");

        Assert.Equal(0, exitCode);
        Assert.Contains(": reused (24 messages;", error, StringComparison.Ordinal);
        Assert.Contains("trade curve of news", output, StringComparison.Ordinal);
        Assert.Equal(["1 %", "2 %", "4 %", "6 %", "10 %"], output.Split('\n').Where(line => line.Contains(" % | ", StringComparison.Ordinal)).Select(line => line.Split(" | ")[0]));
        Assert.False(File.Exists(Path.Combine(site.Rules, "weights.yaml")));
        Assert.Equal(2, unknown);
        Assert.Contains("--curve spam: no ham source of that name", unknownError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_budget_that_cannot_be_met_is_reported_and_no_weights_are_written()
    {
        var site = Create(forcedHam: 5);

        var (exitCode, _, error) = await FitAsync(site, budget: "10%");

        Assert.Equal(1, exitCode);
        Assert.Contains("gateway: rules fit: ham source news: budget 10 % allows 1 of 12 flagged, but 5 are flagged whatever the fitted weights", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(site.Rules, "weights.yaml")));
    }

    [Fact]
    public async Task A_malformed_weights_file_stops_rules_check_with_file_and_line_and_bad_arguments_are_one_line()
    {
        var site = Create();
        File.WriteAllText(Path.Combine(site.Rules, "weights.yaml"), "weights:\n  SHARED_ALPHA: 1.0\n  SHARED_ALPHO: 2.0\n");

        var (exitCode, _, error) = await GatewayCli.RunAsync("rules", "check", site.Rules);
        var (noSpam, _, noSpamError) = await GatewayCli.RunAsync("rules", "fit", "--config", site.Config, "--ham", site.Ham);
        var (badBudget, _, badBudgetError) = await GatewayCli.RunAsync("rules", "fit", "--config", site.Config, "--ham", site.Ham + ":150%", "--spam", site.Spam);
        var (help, helpOutput, _) = await GatewayCli.RunAsync("rules", "fit", "--help");

        Assert.Equal(1, exitCode);
        Assert.Equal($"{Path.Combine(site.Rules, "weights.yaml")}:3: weights.SHARED_ALPHO: no check, rule or DNS list reports this symbol", error.Trim());
        Assert.Equal(2, noSpam);
        Assert.Equal("gateway: rules fit needs at least one --ham and one --spam source", noSpamError.Trim());
        Assert.Equal(2, badBudget);
        Assert.Single(badBudgetError.Trim().Split('\n'));
        Assert.Equal(0, help);
        Assert.Contains("gateway rules fit --ham NAME=PATH[:BUDGET%]", helpOutput, StringComparison.Ordinal);
        Assert.Contains("example: gateway rules fit --ham", helpOutput, StringComparison.Ordinal);
    }
}
