namespace Gateway.IntegrationTests.Support;

/// <summary>The `gateway` command line in-process, through the executable's own entry point.</summary>
internal static class GatewayCli
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await Program.RunAsync(args, output, error, CancellationToken.None);
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>The same, with <paramref name="input"/> as stdin.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunWithInputAsync(string input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await Program.RunAsync(args, output, error, CancellationToken.None, new StringReader(input));
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>A private copy of the shipped rules folder (or of the named files only), to change in a test.</summary>
    public static string CopyRules(params string[] only)
    {
        var folder = Directory.CreateTempSubdirectory("rules-copy-").FullName;
        foreach (var file in Directory.GetFiles(RepositoryRoot.Rules, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepositoryRoot.Rules, file);
            if (only.Length > 0 && !only.Contains(relative) && !relative.StartsWith("lists", StringComparison.Ordinal))
            {
                continue;
            }

            var target = Path.Combine(folder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return folder;
    }
}
