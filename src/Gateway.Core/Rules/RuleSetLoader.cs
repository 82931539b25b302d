using System.Text.RegularExpressions;
using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gateway.Core.Rules;

/// <summary>
/// Reads every rules/*.rules.yaml into one compiled <see cref="RuleSet"/>. Any mistake anywhere refuses
/// the whole set with every problem listed as <c>file:line:col: what is wrong</c>.
/// </summary>
public static partial class RuleSetLoader
{
    public const string FilePattern = "*.rules.yaml";

    private static readonly HashSet<string> RuleKeys = ["name", "description", "when", "score", "action", "reply", "group"];

    public static RuleSet LoadFolder(string folder)
    {
        folder = Path.GetFullPath(folder);
        var errors = new List<string>();
        var rules = new List<Rule>();
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(folder, FilePattern).Order(StringComparer.Ordinal))
        {
            foreach (var rule in LoadFile(path, folder, errors))
            {
                if (names.TryGetValue(rule.Name, out var first))
                {
                    errors.Add($"{rule.Location}: rule {rule.Name} is already defined at {first}");
                    continue;
                }

                names[rule.Name] = rule.Location;
                rules.Add(rule);
            }
        }

        var ordered = CompositesLast(rules, errors);
        var brands = Brands.BrandCatalog.LoadFolder(folder, errors);
        return errors.Count == 0 ? new RuleSet(ordered) { Brands = brands } : throw new ConfigException(string.Join(Environment.NewLine, errors));
    }

    /// <summary>
    /// Plain rules in file order, then composites (rules that test other symbols) each after every rule it
    /// names, whatever file or position it was written in: a composite sees the hits of all plain rules.
    /// A ring of composites naming each other can never be ordered and is refused.
    /// </summary>
    private static List<Rule> CompositesLast(List<Rule> rules, List<string> errors)
    {
        var ordered = rules.Where(rule => !rule.IsComposite).ToList();
        var composites = rules.Where(rule => rule.IsComposite).ToList();
        var compositeNames = composites.Select(rule => rule.Name).ToHashSet(StringComparer.Ordinal);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        while (composites.Count > 0)
        {
            var ready = composites.Where(rule => rule.References.All(reference => !compositeNames.Contains(reference.Symbol) || placed.Contains(reference.Symbol))).ToList();
            if (ready.Count == 0)
            {
                foreach (var rule in composites)
                {
                    errors.Add($"{rule.Location}: composite {rule.Name} is part of a ring of composites naming each other ({string.Join(", ", composites.Select(other => other.Name))})");
                }

                break;
            }

            foreach (var rule in ready)
            {
                ordered.Add(rule);
                placed.Add(rule.Name);
                composites.Remove(rule);
            }
        }

        return ordered;
    }

    private static List<Rule> LoadFile(string path, string folder, List<string> errors)
    {
        YamlStream stream;
        try
        {
            stream = YamlSyntax.Load(path, File.ReadAllText(path));
        }
        catch (ConfigException exception)
        {
            errors.Add(exception.Message);
            return [];
        }

        var compiler = new RuleCompiler(path, folder, errors);
        if (stream.Documents.Count == 0)
        {
            // Also what a reload sees mid-save when an editor truncates before writing: refusing it keeps
            // the running rules instead of silently dropping every rule of this file.
            errors.Add($"{path}:1:1: the file is empty (delete it to drop its rules)");
            return [];
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root || !root.Children.TryGetValue(new YamlScalarNode("rules"), out var rulesNode) || rulesNode is not YamlSequenceNode list)
        {
            compiler.Error(stream.Documents[0].RootNode, "a rules file is a mapping with a 'rules:' list");
            return [];
        }

        foreach (var key in root.Children.Keys.OfType<YamlScalarNode>().Where(key => key.Value != "rules"))
        {
            compiler.Error(key, $"unknown key '{key.Value}' (a rules file has only 'rules:')");
        }

        var rules = new List<Rule>();
        foreach (var item in list.Children)
        {
            if (ParseRule(item, compiler) is { } rule)
            {
                rules.Add(rule);
            }
        }

        return rules;
    }

    private static Rule? ParseRule(YamlNode node, RuleCompiler compiler)
    {
        if (node is not YamlMappingNode map)
        {
            compiler.Error(node, "a rule is a mapping with name, when, and score and/or action");
            return null;
        }

        foreach (var key in map.Children.Keys.OfType<YamlScalarNode>().Where(key => !RuleKeys.Contains(key.Value ?? string.Empty)))
        {
            compiler.Error(key, $"unknown key '{key.Value}' (a rule has: {string.Join(", ", RuleKeys)})");
        }

        YamlNode? Get(string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;
        var nameNode = Get("name");
        var name = nameNode is null ? null : compiler.Text(nameNode);
        if (name is null || !RuleName().IsMatch(name))
        {
            compiler.Error(nameNode ?? map, "a rule needs a name of upper case letters, digits and _ (it is also its symbol)");
            return null;
        }

        var whenNode = Get("when");
        if (whenNode is null)
        {
            compiler.Error(map, $"rule {name} has no 'when' condition");
            return null;
        }

        var condition = compiler.Condition(whenNode);
        var references = compiler.TakeReferences();
        double? score = Get("score") is { } scoreNode ? compiler.Number(scoreNode) : null;
        VerdictAction? action = null;
        if (Get("action") is { } actionNode)
        {
            action = compiler.Text(actionNode) switch
            {
                "accept" => VerdictAction.Accept,
                "tag" => VerdictAction.Tag,
                "reject" => VerdictAction.Reject,
                "tempfail" => VerdictAction.TempFail,
                "quarantine" => VerdictAction.Quarantine,
                var other => Invalid(actionNode, $"unknown action '{other}' (accept, tag, quarantine, reject, tempfail)"),
            };
        }

        if (score is null && action is null)
        {
            compiler.Error(map, $"rule {name} needs a score, an action, or both");
        }

        var replyText = Get("reply") is { } replyNode ? compiler.Text(replyNode) : null;
        Pipeline.SmtpReply? reply = null;
        if (replyText is not null && action is not (VerdictAction.Reject or VerdictAction.TempFail))
        {
            compiler.Error(Get("reply")!, "reply goes with action reject or tempfail");
        }
        else if (replyText is not null)
        {
            // Parsed here, so the client gets the codes as written and a wrong one stops the load, not the mail.
            var (parsed, problem) = Pipeline.SmtpReply.Configured(replyText, permanent: action == VerdictAction.Reject);
            reply = parsed;
            if (problem is not null)
            {
                compiler.Error(Get("reply")!, problem);
            }
        }

        var description = Get("description") is { } descriptionNode ? compiler.Text(descriptionNode) : null;
        var group = Get("group") is { } groupNode ? compiler.Text(groupNode) : null;
        return new Rule(name, description, condition, score, action, reply, compiler.Position(nameNode!))
        {
            Group = group,
            GroupLocation = Get("group") is { } at ? compiler.Position(at) : null,
            References = references,
        };

        VerdictAction? Invalid(YamlNode at, string message)
        {
            compiler.Error(at, message);
            return null;
        }
    }

    [GeneratedRegex("^[A-Z][A-Z0-9_]*$")]
    private static partial Regex RuleName();
}
