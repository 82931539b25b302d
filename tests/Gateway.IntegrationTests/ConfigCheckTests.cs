namespace Gateway.IntegrationTests;

/// <summary><c>gateway config check</c>: OK for what works, every problem for what does not, with --connect the servers too.</summary>
public sealed class ConfigCheckTests
{
    private static string Write(string yaml)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("config-check-").FullName, "gateway.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Fact]
    public async Task The_shipped_config_is_ok()
    {
        var (exitCode, output, _) = await GatewayCli.RunAsync("config", "check", "--config", Path.Combine(RepositoryRoot.Path, "gateway.yaml"));

        Assert.Equal(0, exitCode);
        Assert.StartsWith("OK: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_problem_in_what_the_config_names_is_listed_and_the_exit_is_1()
    {
        var rules = GatewayCli.CopyRules();
        File.WriteAllText(Path.Combine(rules, "actions.yaml"), "actions:\n  tag: [6\n");
        var config = Write($"domains: [example.test]\nrules: {rules}\nclassifier: {{model: /nonexistent/spam.zip}}\nlearning: {{imap: [{{server: \"imaps://mail.example.test\", user: u, password_file: nope.pass}}]}}\n");

        var (exitCode, output, _) = await GatewayCli.RunAsync("config", "check", "--config", config);

        Assert.Equal(1, exitCode);
        Assert.Contains("actions.yaml:2:8: tag: takes a number", output, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/spam.zip: the model file does not exist", output, StringComparison.Ordinal);
        Assert.Contains("learning.imap.0.password_file:", output, StringComparison.Ordinal);
        Assert.EndsWith("3 problem(s)\n", output.Replace("\r", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_gateway_yaml_is_its_own_report()
    {
        var (exitCode, output, _) = await GatewayCli.RunAsync("config", "check", "--config", Write("domains: example.test\n"));

        Assert.Equal(1, exitCode);
        Assert.Matches(@"gateway\.yaml:1:10: domains: takes a list", output);
    }

    /// <summary>A quarantine folder the gateway cannot write passed the check, and the first held message got 451 4.3.0.</summary>
    [Fact]
    public async Task A_folder_the_gateway_cannot_write_is_a_problem_named_by_its_key()
    {
        var config = Write($"domains: [example.test]\nrules: {RepositoryRoot.Rules}\nclassifier: {{enabled: false}}\nquarantine: {{directory: not-a-folder/quarantine}}\n");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(config)!, "not-a-folder"), "a file where a folder should be");

        var (exitCode, output, _) = await GatewayCli.RunAsync("config", "check", "--config", config);

        Assert.Equal(1, exitCode);
        Assert.Contains($"quarantine.directory {Path.Combine(Path.GetDirectoryName(config)!, "not-a-folder", "quarantine")}: cannot write there", output, StringComparison.Ordinal);
        Assert.Contains("held messages would get 451 4.3.0", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_hardening_keys_are_validated_with_file_and_line()
    {
        var config = Write("domains: [example.test]\nantivirus:\n  max_parts: 0\nstate:\n  memory_max_keys: 5\ngreylisting:\n  max_new_per_network_per_hour: -1\nlearning:\n  secret_file: \"\"\n");

        var (exitCode, output, error) = await GatewayCli.RunAsync("config", "check", "--config", config);

        Assert.NotEqual(0, exitCode);
        var text = output + error;
        Assert.Matches(@"gateway\.yaml:3: antivirus\.max_parts", text);
        Assert.Matches(@"gateway\.yaml:5: state\.memory_max_keys", text);
        Assert.Matches(@"gateway\.yaml:7: greylisting\.max_new_per_network_per_hour", text);
        Assert.Matches(@"gateway\.yaml:9: learning\.secret_file", text);
    }

    [Fact]
    public async Task A_tls_ca_file_that_holds_no_certificate_is_named()
    {
        var config = Write($"domains: [example.test]\nrules: {RepositoryRoot.Rules}\nclassifier: {{enabled: false}}\ndownstream: {{host: 127.0.0.1, tls: required, tls_ca_file: ca.pem}}\n");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(config)!, "ca.pem"), "not a certificate\n");

        var (exitCode, output, _) = await GatewayCli.RunAsync("config", "check", "--config", config);

        Assert.Equal(1, exitCode);
        Assert.Contains("downstream tls_ca_file " + Path.Combine(Path.GetDirectoryName(config)!, "ca.pem") + ": no certificate in it", output, StringComparison.Ordinal);
    }

    [Fact(Timeout = 60_000)]
    public async Task Connect_opens_a_session_with_every_downstream_server()
    {
        await using var downstream = await FakeDownstream.StartAsync();
        // A port held bound but not listening: connections to it are refused, and no other test can take
        // it meanwhile (a port found free and let go was once taken by another test: "no answer in time").
        using var holder = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var closed = ((IPEndPoint)holder.LocalEndPoint!).Port;
        var up = Write($"domains: [example.test]\nrules: {RepositoryRoot.Rules}\nclassifier: {{enabled: false}}\ndownstream: {{host: 127.0.0.1, port: {downstream.EndPoint.Port}}}\n");
        var down = Write($"domains: [example.test]\nrules: {RepositoryRoot.Rules}\nclassifier: {{enabled: false}}\ndownstream: {{host: 127.0.0.1, port: {closed}}}\n");

        var (upExit, upOutput, _) = await GatewayCli.RunAsync("config", "check", "--config", up, "--connect");
        var (downExit, downOutput, _) = await GatewayCli.RunAsync("config", "check", "--config", down, "--connect");

        Assert.True(upExit == 0, upOutput);
        Assert.Equal(1, downExit);
        Assert.Matches($@"downstream 127\.0\.0\.1:{closed} \(route \*\): .*refused", downOutput);
    }
}
