using System.Text.Json;

namespace Gateway.IntegrationTests;

/// <summary>The `gateway` command line, run in-process through the same entry point as the executable.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task Check_json_prints_one_object_per_message_in_files_directories_and_mbox()
    {
        var folder = Directory.CreateTempSubdirectory("check-").FullName;
        File.WriteAllText(Path.Combine(folder, "a.eml"), "From: a@remote.test\r\nSubject: one\r\n\r\nbody\r\n");
        File.WriteAllText(Path.Combine(folder, "b.eml"), "From sender@remote.test Thu Aug 22 13:17:22 2002\nFrom: b@remote.test\nSubject: two\n\nbody\n");
        var mbox = Path.Combine(Directory.CreateTempSubdirectory("mbox-").FullName, "box.mbox");
        File.WriteAllText(mbox, "From x@remote.test Thu Aug 22 13:17:22 2002\nSubject: m1\n\none\n\nFrom y@remote.test Thu Aug 22 13:18:22 2002\nSubject: m2\n\ntwo\n");

        var (exitCode, output, error) = await GatewayCli.RunAsync("check", "--json", "--offline", "--config", Path.Combine(RepositoryRoot.Path, "gateway.yaml"), folder, mbox);

        Assert.True(exitCode == 0, error);
        Assert.DoesNotContain(" info: ", error, StringComparison.Ordinal); // no "model loaded" line around the results
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        // The summary is on stderr, so stdout stays one JSON object per message.
        Assert.Matches(@"checked 4 message\(s\) in \d+\.\ds \(\d+ per second\): 4 accept", error);
        var objects = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.Equal([Path.Combine(folder, "a.eml"), Path.Combine(folder, "b.eml"), mbox + "#1", mbox + "#2"], objects.Select(o => o.GetProperty("file").GetString()));
        Assert.All(objects, o =>
        {
            Assert.Equal("accept", o.GetProperty("action").GetString());
            Assert.Equal(JsonValueKind.Number, o.GetProperty("score").ValueKind);
            Assert.Equal(JsonValueKind.Array, o.GetProperty("symbols").ValueKind);
            Assert.True(o.GetProperty("auth").TryGetProperty("spf", out _));
            Assert.True(o.GetProperty("classifier").TryGetProperty("spam_probability", out _));
        });
    }

    [SkippableFact]
    public async Task Check_reads_the_shared_corpus_layout()
    {
        SharedData.Require("corpus/spam/spam");
        var corpus = Path.Combine(RepositoryRoot.Path, "..", "shared", "corpus", "spam", "spam");
        var sample = Directory.GetFiles(corpus).Order(StringComparer.Ordinal).First();

        // Offline: the corpus's terms forbid DNS checks on it against anything but a loopback server.
        var (exitCode, output, error) = await GatewayCli.RunAsync("check", "--json", "--offline", "--config", Path.Combine(RepositoryRoot.Path, "gateway.yaml"), sample);

        Assert.True(exitCode == 0, error);
        Assert.Equal(sample, JsonDocument.Parse(output).RootElement.GetProperty("file").GetString());
    }

    [Fact(Timeout = 60_000)]
    public async Task Check_json_shows_dns_list_symbols_from_a_loopback_dns_server()
    {
        await using var dns = await LoopbackDnsServer.StartAsync();
        dns.AddA("7.2.0.192.bl.test", "127.0.0.2");
        dns.AddA("phish.test.dbl.test", "127.0.0.2");
        var rules = GatewayCli.CopyRules();
        File.WriteAllText(Path.Combine(rules, "lists.yaml"), """
            lists:
              - {name: BL, zone: bl.test, kind: ip, enabled: true, codes: {127.0.0.2: {symbol: BL_SBL, score: 4.0}}}
              - {name: DBL, zone: dbl.test, kind: domain, enabled: true, codes: {127.0.0.2: {symbol: DBL_SPAM, score: 5.0}}}
            """);
        var folder = Directory.CreateTempSubdirectory("check-dns-").FullName;

        // The loopback server runs in the test process, which CI loads with other tests: a UDP answer may
        // be lost there. A short DNS timeout lets the resolver's retry come well within a wide check
        // timeout (a 10 s DNS timeout equal to the 10 s check timeout turned one lost packet into CHECK_ERROR).
        var config = Path.Combine(folder, "gateway.yaml");
        File.WriteAllText(config, $"hostname: mx.example.test\ndomains: [example.test]\nrules: {rules}\nclassifier: {{enabled: false}}\ndns: {{servers: [\"{dns.EndPoint}\"], timeout: 3s}}\nlimits: {{check_timeout: 30s}}\n");
        var message = Path.Combine(folder, "m.eml");
        File.WriteAllText(message, "From: a@sender.test\r\nSubject: hi\r\n\r\nsee hxxp://www.phish[.]test/now\r\n");

        var (exitCode, output, error) = await GatewayCli.RunAsync("check", "--json", "--ip", "192.0.2.7", "--config", config, message);

        Assert.True(exitCode == 0, error);
        var symbols = JsonDocument.Parse(output).RootElement.GetProperty("symbols").EnumerateArray().Select(symbol => symbol.GetProperty("name").GetString()).ToList();
        Assert.Contains("BL_SBL", symbols);
        Assert.Contains("DBL_SPAM", symbols);
    }

    [Fact]
    public async Task A_bad_config_stops_with_file_line_and_exit_code_2()
    {
        var config = Path.Combine(Directory.CreateTempSubdirectory("config-").FullName, "gateway.yaml");
        File.WriteAllText(config, "hostname: mx.example.test\ndomains: [example.test]\nlimits:\n  max_recipents: 5\n");

        var (exitCode, _, error) = await GatewayCli.RunAsync("run", "--config", config);

        Assert.Equal(2, exitCode);
        Assert.Equal($"{config}:4:3: unknown key 'max_recipents'", error.Trim());
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("check")]
    [InlineData("check", "--bogus", "x")]
    [InlineData("run", "extra")]
    public async Task Usage_errors_are_one_line_and_exit_code_2(params string[] args)
    {
        var (exitCode, _, error) = await GatewayCli.RunAsync(args);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("gateway: ", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var (exitCode, output, _) = await GatewayCli.RunAsync("--version");

        Assert.Equal(0, exitCode);
        Assert.Matches(@"^gateway \d+\.\d+\.\d+\n$", output.Replace("\r", string.Empty, StringComparison.Ordinal));
    }
}

public sealed class RulesCommandLineTests
{
    [Fact]
    public async Task Rules_test_passes_on_the_shipped_rules_and_each_rule_has_a_case()
    {
        var (exitCode, output, error) = await GatewayCli.RunAsync("rules", "test", RepositoryRoot.Rules);

        Assert.True(exitCode == 0, output + error);
        Assert.Matches(@"rules: \d+ passed, 0 failed", output);
        var tests = File.ReadAllText(Path.Combine(RepositoryRoot.Rules, "tests", "default.yaml"));
        var names = System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(Path.Combine(RepositoryRoot.Rules, "default.rules.yaml")), @"- name: ([A-Z0-9_]+)").Select(match => match.Groups[1].Value).ToList();
        Assert.True(names.Count >= 25);
        Assert.All(names, name => Assert.Contains(name, tests, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rules_check_on_a_broken_folder_exits_non_zero_with_positions()
    {
        var folder = GatewayCli.CopyRules("actions.yaml", "symbols.yaml");
        File.WriteAllText(Path.Combine(folder, "x.rules.yaml"), "rules:\n  - name: X\n    when: {subject: {frobnicates: y}}\n    score: 1\n");

        var (exitCode, _, error) = await GatewayCli.RunAsync("rules", "check", folder);

        Assert.Equal(1, exitCode);
        Assert.Equal($"{Path.Combine(folder, "x.rules.yaml")}:3:22: operator 'frobnicates' does not apply to text field 'subject'", error.Trim());
    }

    [Fact]
    public async Task A_failing_rule_test_exits_non_zero()
    {
        var folder = GatewayCli.CopyRules("actions.yaml", "symbols.yaml", "default.rules.yaml");
        Directory.CreateDirectory(Path.Combine(folder, "tests"));
        File.Copy(Path.Combine(RepositoryRoot.Rules, "tests", "messages", "ham-plain.eml"), Path.Combine(folder, "tests", "ham.eml"));
        File.WriteAllText(Path.Combine(folder, "tests", "t.yaml"), "tests:\n  - name: wrong expectation\n    message: ham.eml\n    expect: {action: reject}\n");

        var (exitCode, output, _) = await GatewayCli.RunAsync("rules", "test", folder);

        Assert.Equal(1, exitCode);
        Assert.Contains("FAIL  wrong expectation", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_lists_what_a_candidate_policy_changes()
    {
        var candidate = GatewayCli.CopyRules();
        File.WriteAllText(Path.Combine(candidate, "actions.yaml"), "actions: {tag: 0.5, reject: 10}\n");
        var config = Path.Combine(RepositoryRoot.Path, "gateway.yaml");
        var spam = Path.Combine(RepositoryRoot.Rules, "tests", "messages");

        var (exitCode, output, error) = await GatewayCli.RunAsync("replay", "--config", config, "--labels", $"spam={spam}", "--rules", candidate);

        Assert.True(exitCode == 0, error);
        Assert.Contains("accept -> tag", output, StringComparison.Ordinal);
        Assert.Matches(@"spam: \d+ messages; detected \(tagged or rejected\): current \d+ \(.*\), candidate \d+", output);
        Assert.Matches(@"replayed \d+ message\(s\) in [\d.]+s \(\d+ per second\): \d+ change action", error);
    }

    /// <summary>A first-day mistake: the metrics port is taken (another gateway running). One line naming it, exit 1, no "internal error".</summary>
    [Fact(Timeout = 60_000)]
    public async Task A_taken_metrics_port_is_named_in_one_line()
    {
        using var holder = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;
        var config = Path.Combine(Directory.CreateTempSubdirectory("taken-").FullName, "gateway.yaml");
        File.WriteAllText(config, $"domains: [example.test]\nlisten: [\"127.0.0.1:{FreePort.Next()}\"]\nrules: {RepositoryRoot.Rules}\nclassifier: {{enabled: false}}\nmetrics: {{listen: \"127.0.0.1:{port}\"}}\n");

        var (exitCode, _, error) = await GatewayCli.RunAsync("run", "--offline", "--config", config);

        Assert.Equal(1, exitCode);
        Assert.Equal($"gateway: metrics.listen 127.0.0.1:{port}: address already in use (is another gateway running?)", error.Trim().Split('\n')[^1]);
        Assert.DoesNotContain("internal error", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// A first-day surprise: the built-in config read the rules copied beside the binaries, so a rule added to
    /// ./rules did nothing. Now rules/ in the working directory wins; elsewhere the installed copy serves.
    /// </summary>
    [Fact(Timeout = 60_000)]
    public async Task Without_config_the_working_directorys_rules_are_the_ones_used()
    {
        var folder = Directory.CreateTempSubdirectory("workdir-").FullName;
        var rules = GatewayCli.CopyRules();
        Directory.Move(rules, Path.Combine(folder, "rules"));
        File.WriteAllText(Path.Combine(folder, "rules", "mine.rules.yaml"), "rules:\n  - name: MY_OWN_RULE\n    description: added by the operator\n    when:\n      subject: {contains: marker}\n    score: 0.5\n");
        File.WriteAllText(Path.Combine(folder, "m.eml"), "From: a@remote.test\r\nSubject: the marker\r\n\r\nbody\r\n");
        var elsewhere = Directory.CreateTempSubdirectory("no-rules-").FullName;

        var here = await RunInAsync(folder, "check", "--offline", "--json", "m.eml");
        var there = await RunInAsync(elsewhere, "check", "--offline", "--json", Path.Combine(folder, "m.eml"));

        Assert.Contains("MY_OWN_RULE", here, StringComparison.Ordinal);
        Assert.DoesNotContain("MY_OWN_RULE", there, StringComparison.Ordinal);
        Assert.Contains("\"action\"", there, StringComparison.Ordinal); // the installed rules served there
    }

    private static async Task<string> RunInAsync(string workingDirectory, params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet", [GatewayProcess.Executable, .. args]) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return await output + await error;
    }

    /// <summary>check --explain and --json listed symbol scores that did not add up to the total: the group caps were not shown.</summary>
    [Fact(Timeout = 60_000)]
    public async Task Explain_and_json_show_a_group_counted_at_its_max_score()
    {
        // The hand-set weights: ML_SPAM 8 x factor goes past the classifier's cap of 6 (the fitted map stops at it).
        var rules = GatewayCli.CopyRules();
        File.Delete(Path.Combine(rules, "weights.yaml"));
        var config = Path.Combine(Directory.CreateTempSubdirectory("capped-").FullName, "gateway.yaml");
        File.WriteAllText(config, $"domains: [example.test]\nrules: {rules}\nclassifier: {{model: {Path.Combine(RepositoryRoot.Path, "models", "spam.zip")}, short_text_words: 0}}\n");
        var message = Path.Combine(RepositoryRoot.Path, "tests", "fixtures", "short-personal", "en-thank-you.eml"); // the model says p 0.99 on it

        var (_, json, _) = await GatewayCli.RunAsync("check", "--offline", "--json", "--config", config, message);
        var (_, report, _) = await GatewayCli.RunAsync("check", "--offline", "--explain", "always", "--config", config, message);

        var root = JsonDocument.Parse(json).RootElement;
        var capped = Assert.Single(root.GetProperty("capped").EnumerateArray());
        Assert.Equal("classifier", capped.GetProperty("group").GetString());
        Assert.Equal(6.0, capped.GetProperty("max_score").GetDouble());
        Assert.True(capped.GetProperty("sum").GetDouble() > 6.0);
        Assert.Equal(6.0, root.GetProperty("score").GetDouble(), 3);
        Assert.Matches(@"group classifier: its symbols add up to \d+\.\d\d, counted as its max_score 6\.00", report);
    }

    [Fact(Timeout = 60_000)]
    public async Task A_binary_file_is_skipped_as_no_message_and_the_exit_code_says_so()
    {
        var folder = Directory.CreateTempSubdirectory("binary-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "program"), [0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0, 0, 0, 0, 0]);
        File.WriteAllText(Path.Combine(folder, "real.eml"), "From: a@remote.test\r\nSubject: hi\r\n\r\nbody\r\n");

        var (exitCode, output, error) = await GatewayCli.RunAsync("check", "--offline", "--config", Path.Combine(RepositoryRoot.Path, "gateway.yaml"), folder);

        Assert.Equal(1, exitCode);
        Assert.Contains($"{Path.Combine(folder, "program")}: skipped: not a message (binary content)", error, StringComparison.Ordinal);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("real.eml", output, StringComparison.Ordinal);
    }
}
