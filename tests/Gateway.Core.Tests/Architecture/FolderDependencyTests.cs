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
        "Pipeline <-> Scoring", // MessageContext carries the policy snapshot; the scanner scores
        "Rules <-> Scoring", // the policy holds the rule set; rules force actions and read the policy group
    ];

    [Fact]
    public void No_new_cycle_between_the_stage_folders_of_Gateway_Core()
    {
        var root = Path.Combine(Gateway.Tests.Shared.RepositoryRoot.Path, "src", "Gateway.Core");
        var code = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Where(name => name is not ("bin" or "obj"))
            .ToDictionary(folder => folder, folder => Directory.GetFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories).Select(file => Comment().Replace(File.ReadAllText(file), string.Empty)).ToList());
        var types = code.ToDictionary(pair => pair.Key, pair => pair.Value.SelectMany(text => TypeDeclaration().Matches(text).Select(match => match.Groups[1].Value)).ToHashSet());
        var uses = code.ToDictionary(pair => pair.Key, pair => code.Keys.Where(other => other != pair.Key && types[other].Count > 0 && pair.Value.Any(text => Names(text, other, types[other]))).ToHashSet());
        var cycles = uses.SelectMany(pair => pair.Value.Where(other => string.CompareOrdinal(pair.Key, other) < 0 && uses[other].Contains(pair.Key)).Select(other => $"{pair.Key} <-> {other}")).ToHashSet();

        Assert.True(cycles.Except(Known).ToList() is [], $"new cycles between stage folders: {string.Join(", ", cycles.Except(Known))} (a stage talks to the rest through Pipeline types)");
        Assert.True(Known.Except(cycles).ToList() is [], $"cycles gone, remove them from the list: {string.Join(", ", Known.Except(cycles))}");
    }

    /// <summary>
    /// Whether code names a type of the other folder: qualified (Scoring.Verdict, Gateway.Core.Scoring.Verdict), or
    /// by its plain name under a using of that folder's namespace. A property that happens to share a folder's name
    /// (options.Learning.Enabled) is not a dependency.
    /// </summary>
    private static bool Names(string text, string folder, HashSet<string> types)
    {
        var names = string.Join('|', types);
        return Regex.IsMatch(text, $@"(?<![\w.])(global::Gateway\.Core\.|Gateway\.Core\.|Core\.)?{folder}\.(\w+\.)*({names})\b")
            || (Regex.IsMatch(text, $@"using Gateway\.Core\.{folder};") && Regex.IsMatch(text.Split("namespace", 2)[^1], $@"(?<![\w.])({names})\b"));
    }

    [GeneratedRegex(@"\b(?:class|record|enum|interface|struct)\s+([A-Z]\w*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex("//[^\n]*")]
    private static partial Regex Comment();
}
