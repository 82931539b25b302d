namespace Gateway.Cli;

/// <summary>
/// <c>gateway web user add NAME [--config FILE]</c>: adds (or replaces the password of) a console administrator in
/// web.users_file. The password is read from stdin, one line (so it is in no shell history or process list).
/// </summary>
internal static class WebCommand
{
    private static readonly HashSet<string> ValueOptions = ["--config"];
    private static readonly HashSet<string> NoFlags = [];
    private const string Usage = "usage: gateway web user add NAME [--config FILE]   (the password on stdin)";

    public static async Task<int> RunAsync(IEnumerable<string> args, TextReader input, TextWriter output)
    {
        var parsed = Arguments.Parse(args, ValueOptions, NoFlags);
        if (parsed.Positional is not ["user", "add", var name])
        {
            throw new UsageException(Usage);
        }

        var config = ConfigSource.Load(parsed.Value("--config"));
        var path = Path.GetFullPath(config.Options.Web.UsersFile, config.Options.BaseFolder);
        var password = (await input.ReadLineAsync())?.TrimEnd('\r') ?? throw new UsageException("no password on stdin (echo it in, or type it and press Enter)");
        try
        {
            Web.WebUsers.Add(path, name, password);
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message);
        }

        await output.WriteLineAsync($"{name}: can sign in to the web console ({path})" + (config.Options.Web.IsEnabled ? string.Empty : "; the console is off until web.listen is set"));
        return 0;
    }
}
