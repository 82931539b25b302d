using Gateway.Core.SenderLists;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway lists allow|block SENDER [--for WHO] | remove SENDER [--for WHO] | show [--for RECIPIENT]</c>: the
/// sender lists (sender_lists.file, or Redis with sender_lists.store: redis). WHO is a recipient address, one of our domains, or * (everyone, the default).
/// A running gateway reads the file again when it changes (Redis: within seconds).
/// </summary>
internal static class ListsCommand
{
    private static readonly HashSet<string> ValueOptions = ["--config", "--for"];
    private static readonly HashSet<string> NoFlags = [];
    private const string Usage = "usage: gateway lists allow|block SENDER [--for RECIPIENT|DOMAIN|*] | remove SENDER [--for ...] | show [--for RECIPIENT] [--config FILE]";

    public static async Task<int> RunAsync(IEnumerable<string> args, TextWriter output)
    {
        var parsed = Arguments.Parse(args, ValueOptions, NoFlags);
        var config = ConfigSource.Load(parsed.Value("--config"));
        await using var state = config.Options.SenderLists.Store == Core.Configuration.SharedStore.Redis ? await Core.State.StateStores.CreateAsync(config.Options.State, TimeProvider.System) : null;
        var lists = await SenderListStores.OpenAsync(config.Options, state, refresh: false, CancellationToken.None); // Redis down: says so, not "no entries"

        var forWhom = parsed.Value("--for") ?? SenderListEntry.Everyone;
        try
        {
            switch (parsed.Positional)
            {
                case [("allow" or "block") and var verb, var sender]:
                    var entry = SenderListEntry.Create(forWhom, sender, verb == "allow" ? SenderListKind.Allow : SenderListKind.Block);
                    var added = await lists.AddAsync(entry, CancellationToken.None);
                    await output.WriteLineAsync($"{entry.Sender}: {(entry.Kind == SenderListKind.Allow ? "allowed" : "blocked")} for {Who(entry.For)}{(added ? string.Empty : " (already)")}");
                    return 0;
                case ["remove", var sender]:
                    var removing = SenderListEntry.Create(forWhom, sender, SenderListKind.Allow);
                    if (!await lists.RemoveAsync(removing.For, removing.Sender, CancellationToken.None))
                    {
                        throw new UsageException($"no entry for {removing.Sender} for {Who(removing.For)}");
                    }

                    await output.WriteLineAsync($"{removing.Sender}: removed for {Who(removing.For)}");
                    return 0;
                case ["show"]:
                    var shown = parsed.Value("--for") is { } recipient ? lists.For(recipient) : lists.Entries;
                    foreach (var item in shown)
                    {
                        await output.WriteLineAsync(TerminalText.Escape($"{item.Kind.ToString().ToLowerInvariant()} {item.Sender} for {Who(item.For)}"));
                    }

                    if (shown.Count == 0)
                    {
                        await output.WriteLineAsync($"no entries in {lists.Where}");
                    }

                    return 0;
                default:
                    throw new UsageException(Usage);
            }
        }
        catch (ArgumentException exception)
        {
            throw new UsageException(exception.Message);
        }
    }

    private static string Who(string forWhom) => forWhom == SenderListEntry.Everyone ? "everyone" : forWhom;
}
