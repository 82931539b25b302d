namespace Gateway.IntegrationTests;

/// <summary>What a mail administrator meets first on the command line: help, readable reports and JSON.</summary>
public sealed class OperatorCommandLineTests
{
    [Theory]
    [InlineData("run", "--help", "gateway run [--config FILE] [--offline]")]
    [InlineData("check", "--help", "gateway check [--config FILE]")]
    [InlineData("rules", "check --help", "gateway rules check [DIR]")]
    [InlineData("train", "-h", "gateway train --ham DIR --spam DIR")]
    [InlineData("learn", "--help", "gateway learn spam|ham")]
    [InlineData("quarantine", "--help", "gateway quarantine list")]
    [InlineData("replay", "--help", "gateway replay --corpus DIR")]
    public async Task Every_command_answers_help_with_its_options_and_an_example(string command, string flags, string usage)
    {
        var (exitCode, output, error) = await GatewayCli.RunAsync([command, .. flags.Split(' ')]);
        var (viaHelp, helpOutput, _) = await GatewayCli.RunAsync("help", command);

        Assert.Equal(0, exitCode);
        Assert.Empty(error);
        Assert.StartsWith(usage, output, StringComparison.Ordinal);
        Assert.Contains("example: gateway " + command, output, StringComparison.Ordinal);
        Assert.Equal(0, viaHelp);
        Assert.Equal(output, helpOutput);
    }

    [Fact]
    public async Task Help_lists_the_commands_and_an_unknown_one_is_one_line_and_exit_2()
    {
        var (exitCode, output, _) = await GatewayCli.RunAsync("help");
        var (unknown, _, error) = await GatewayCli.RunAsync("help", "frobnicate");

        Assert.Equal(0, exitCode);
        Assert.Contains("quarantine   list, show, release, delete held messages", output, StringComparison.Ordinal);
        Assert.Equal(2, unknown);
        Assert.Equal("gateway: no command 'frobnicate' (try 'gateway help')", error.Trim());
    }

    [Fact]
    public async Task Check_explain_prints_a_report_with_each_symbol_its_description_and_why_and_json_reads_naturally()
    {
        var message = Path.Combine(RepositoryRoot.Rules, "tests", "messages", "attachment-html-form.eml");

        var (exitCode, report, _) = await GatewayCli.RunAsync("check", "--offline", "--explain", "always", message);
        var (_, json, _) = await GatewayCli.RunAsync("check", "--offline", "--json", message);

        Assert.Equal(0, exitCode);
        Assert.Matches(@"action: (tag|reject), score \d+\.\d\d \(tag 5, reject 12\); the score reaches the (tag|reject) threshold", report);
        Assert.Matches(@"\n\s+4\.00  HTML_ATTACHMENT_FORM\s+An HTML attachment with a form", report);
        Assert.Contains("part of", report, StringComparison.Ordinal); // the classifier's features, under ML_SPAM or ML_HAM
        Assert.DoesNotContain("\\u0022", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", json, StringComparison.Ordinal);
        Assert.Contains("+\\\"", json, StringComparison.Ordinal); // an explanation's +"feature", escaped only as JSON must
    }
}
