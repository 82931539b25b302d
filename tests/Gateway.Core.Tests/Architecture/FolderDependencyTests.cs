using System.Text.RegularExpressions;

namespace Gateway.Core.Tests.Architecture;

/// <summary>
/// Stage folders of Gateway.Core depend one way (issue 34): checks, scoring, delivery and the rest on Pipeline's
/// types, never the reverse, and no ring of folders through others either (Scoring -> Rules -> Scoring went when
/// the rules' snapshot became a slot on the context). The test fails on any cycle and names the folders in it.
/// </summary>
public sealed partial class FolderDependencyTests
{
    [Fact]
    public void The_stage_folders_of_Gateway_Core_depend_one_way()
    {
        var uses = FolderDependencies();

        var cycles = uses.Keys.Select(folder => CycleThrough(folder, uses)).OfType<string>().Distinct().ToList();

        Assert.True(cycles is [], $"folders that depend on each other: {string.Join("; ", cycles)} (a stage talks to the rest through Pipeline types)");
    }

    [Fact]
    public void Pipeline_names_no_other_stage()
    {
        Assert.Empty(FolderDependencies()["Pipeline"]);
    }

    /// <summary>Which folders each top-level folder of Gateway.Core names a type of.</summary>
    private static Dictionary<string, HashSet<string>> FolderDependencies()
    {
        var root = Path.Combine(Gateway.Tests.Shared.RepositoryRoot.Path, "src", "Gateway.Core");
        var code = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>().Where(name => name is not ("bin" or "obj"))
            .ToDictionary(folder => folder, folder => Directory.GetFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories).Select(file => Comment().Replace(File.ReadAllText(file), string.Empty)).ToList());
        var types = code.ToDictionary(pair => pair.Key, pair => pair.Value.SelectMany(text => TypeDeclaration().Matches(text).Select(match => match.Groups[1].Value)).ToHashSet());
        return code.ToDictionary(pair => pair.Key, pair => code.Keys.Where(other => other != pair.Key && types[other].Count > 0 && pair.Value.Any(text => Names(text, other, types[other]))).ToHashSet());
    }

    /// <summary>A path from the folder back to itself ("A -> B -> A"), shortest first, or null.</summary>
    private static string? CycleThrough(string start, Dictionary<string, HashSet<string>> uses)
    {
        var cameFrom = new Dictionary<string, string>();
        var queue = new Queue<string>([start]);
        while (queue.TryDequeue(out var folder))
        {
            foreach (var next in uses[folder].Order(StringComparer.Ordinal))
            {
                if (next == start)
                {
                    var path = new List<string> { start };
                    for (var at = folder; at != start; at = cameFrom[at])
                    {
                        path.Insert(1, at);
                    }

                    // The same ring found from each of its folders reads the same from its smallest one.
                    var smallest = path.IndexOf(path.Min(StringComparer.Ordinal)!);
                    var ring = path.Skip(smallest).Concat(path.Take(smallest)).ToList();
                    return string.Join(" -> ", ring.Append(ring[0]));
                }

                if (next != start && cameFrom.TryAdd(next, folder))
                {
                    queue.Enqueue(next);
                }
            }
        }

        return null;
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
