using System.Text.Json;

namespace Gateway.IntegrationTests;

/// <summary>The `gateway` command line, run in-process through the same entry point as the executable.</summary>
public sealed class CommandLineTests
{
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await Program.RunAsync(args, output, error, CancellationToken.None);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Check_json_prints_one_object_per_message_in_files_directories_and_mbox()
    {
        var folder = Directory.CreateTempSubdirectory("check-").FullName;
        File.WriteAllText(Path.Combine(folder, "a.eml"), "From: a@remote.test\r\nSubject: one\r\n\r\nbody\r\n");
        File.WriteAllText(Path.Combine(folder, "b.eml"), "From sender@remote.test Thu Aug 22 13:17:22 2002\nFrom: b@remote.test\nSubject: two\n\nbody\n");
        var mbox = Path.Combine(Directory.CreateTempSubdirectory("mbox-").FullName, "box.mbox");
        File.WriteAllText(mbox, "From x@remote.test Thu Aug 22 13:17:22 2002\nSubject: m1\n\none\n\nFrom y@remote.test Thu Aug 22 13:18:22 2002\nSubject: m2\n\ntwo\n");

        var (exitCode, output, error) = await RunAsync("check", "--json", "--offline", "--config", Path.Combine(RepositoryRoot.Path, "gateway.yaml"), folder, mbox);

        Assert.True(exitCode == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
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

    [Fact]
    public async Task Check_reads_the_shared_corpus_layout()
    {
        var corpus = Path.Combine(RepositoryRoot.Path, "..", "shared", "corpus", "spam", "spam");
        var sample = Directory.GetFiles(corpus).Order(StringComparer.Ordinal).First();

        // Offline: the corpus's terms forbid DNS checks on it against anything but a loopback server.
        var (exitCode, output, error) = await RunAsync("check", "--json", "--offline", "--config", Path.Combine(RepositoryRoot.Path, "gateway.yaml"), sample);

        Assert.True(exitCode == 0, error);
        Assert.Equal(sample, JsonDocument.Parse(output).RootElement.GetProperty("file").GetString());
    }

    [Fact]
    public async Task A_bad_config_stops_with_file_line_and_exit_code_2()
    {
        var config = Path.Combine(Directory.CreateTempSubdirectory("config-").FullName, "gateway.yaml");
        File.WriteAllText(config, "hostname: mx.example.test\ndomains: [example.test]\nlimits:\n  max_recipents: 5\n");

        var (exitCode, _, error) = await RunAsync("run", "--config", config);

        Assert.Equal(2, exitCode);
        Assert.Equal($"{config}:4: unknown key 'max_recipents'", error.Trim());
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("check")]
    [InlineData("check", "--bogus", "x")]
    [InlineData("run", "extra")]
    public async Task Usage_errors_are_one_line_and_exit_code_2(params string[] args)
    {
        var (exitCode, _, error) = await RunAsync(args);

        Assert.Equal(2, exitCode);
        Assert.StartsWith("gateway: ", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Version_prints_the_version()
    {
        var (exitCode, output, _) = await RunAsync("--version");

        Assert.Equal(0, exitCode);
        Assert.Matches(@"^gateway \d+\.\d+\.\d+\n$", output.Replace("\r", string.Empty, StringComparison.Ordinal));
    }
}
