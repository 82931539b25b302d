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

        var config = Path.Combine(Directory.CreateTempSubdirectory("check-config-").FullName, "gateway.yaml");
        File.WriteAllText(config, $"domains: [example.test]\nrules: {RepositoryRoot.Rules}\nclassifier: {{model: {Path.Combine(RepositoryRoot.Path, "models", "spam.zip")}}}\n");

        var (exitCode, report, _) = await GatewayCli.RunAsync("check", "--offline", "--config", config, "--explain", "always", message);
        var (_, json, _) = await GatewayCli.RunAsync("check", "--offline", "--config", config, "--json", message);

        Assert.Equal(0, exitCode);
        Assert.Matches(@"action: (tag|reject), score \d+\.\d\d \(tag 5, reject 12\); the score reaches the (tag|reject) threshold", report);
        Assert.Matches(@"\n\s+4\.00  HTML_ATTACHMENT_FORM\s+An HTML attachment with a form", report);
        Assert.Contains("part of", report, StringComparison.Ordinal); // the classifier's features, under ML_SPAM or ML_HAM
        Assert.DoesNotContain("\\u0022", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u002B", json, StringComparison.Ordinal);
        Assert.Contains("+\\\"", json, StringComparison.Ordinal); // an explanation's +"feature", escaped only as JSON must
    }

    [Fact(Timeout = 60_000)]
    public async Task The_built_in_config_finds_its_rules_and_model_from_any_working_directory()
    {
        var elsewhere = Directory.CreateTempSubdirectory("elsewhere-").FullName;
        var message = Path.Combine(RepositoryRoot.Rules, "tests", "messages", "attachment-pdf-that-is-exe.eml");
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("dotnet", [GatewayProcess.Executable, "check", "--offline", message])
        {
            WorkingDirectory = elsewhere,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, output + error);
        Assert.Contains(": reject score=", output, StringComparison.Ordinal);
        Assert.Contains("EXECUTABLE_ATTACHMENT", output, StringComparison.Ordinal);
        Assert.DoesNotContain("not found: running without the classifier", error, StringComparison.Ordinal);
    }
}
