using System.Text.RegularExpressions;

namespace Gateway.Core.Tests.Architecture;

/// <summary>
/// Stage folders of Gateway.Core should depend one way (issue 34): checks, scoring, delivery and the rest on
/// Pipeline's types, never the reverse. The cycles below are the ones still in the code; this test fails when
/// a new one appears, and when one of them is gone (so the list only shrinks).
/// </summary>
public sealed partial class FolderDependencyTests
{
    /// <summary>Known cycles, each as "A <-> B" with A before B in ordinal order. Remove a line when you break one.</summary>
    private static readonly HashSet<string> Known =
    [
        "Authentication <-> Configuration", // GatewayOptions holds AuthenticationOptions; DMARC reads its options
        "Authentication <-> Pipeline", // MessageContext holds the AuthenticationOutcome
        "Attachments <-> Pipeline", // MessageContext decodes attachments once for the rules and antivirus
        "Classification <-> Pipeline", // MessageContext holds features and the ClassifierResult
        "Content <-> Pipeline", // MessageContext extracts link hosts once
        "Configuration <-> Dns", // DnsOptions
        "Configuration <-> Greylisting",
        "Configuration <-> Learning",
        "Configuration <-> RateLimits",
        "Configuration <-> State",
        "Pipeline <-> Scoring", // MessageContext carries the policy snapshot and forced actions
        "Rules <-> Scoring", // the policy holds the rule set
    ];

    [Fact]
    public void No_new_cycle_between_the_stage_folders_of_Gateway_Core()
    {
        var root = Path.Combine(Gateway.Tests.Shared.RepositoryRoot.Path, "src", "Gateway.Core");
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Where(name => name is not ("bin" or "obj")).ToList();
        var uses = folders.ToDictionary(folder => folder, folder => Uses(Path.Combine(root, folder), folders.Where(other => other != folder)));
        var cycles = uses.SelectMany(pair => pair.Value.Where(other => string.CompareOrdinal(pair.Key, other) < 0 && uses[other].Contains(pair.Key)).Select(other => $"{pair.Key} <-> {other}")).ToHashSet();

        Assert.True(cycles.Except(Known).ToList() is [], $"new cycles between stage folders: {string.Join(", ", cycles.Except(Known))} (a stage talks to the rest through Pipeline types)");
        Assert.True(Known.Except(cycles).ToList() is [], $"cycles gone, remove them from the list: {string.Join(", ", Known.Except(cycles))}");
    }

    /// <summary>The other folders a folder's code names: by a using directive or a qualified name (comments left out).</summary>
    private static HashSet<string> Uses(string folder, IEnumerable<string> others)
    {
        var code = string.Join('\n', Directory.GetFiles(folder, "*.cs", SearchOption.AllDirectories).Select(file => Comment().Replace(File.ReadAllText(file), string.Empty)));
        return others.Where(other => Regex.IsMatch(code, $@"using Gateway\.Core\.{other}(\.[\w.]+)?;|(?<![\w.])(global::Gateway\.Core\.|Gateway\.Core\.|Core\.)?{other}\.[A-Z]")).ToHashSet();
    }

    [GeneratedRegex("//[^\n]*")]
    private static partial Regex Comment();
}
