using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Gateway.Core.Configuration;

/// <summary>
/// Loads one YAML file into an options type with snake_case keys, refusing unknown keys, and reports every
/// problem as <c>file:line: what is wrong</c> (<c>file:line:col:</c> for YAML syntax) — the only form in which config errors reach an operator.
/// </summary>
public static partial class YamlFile
{
    public static T Load<T>(string displayName, string text, Action<T, ConfigErrors>? validate = null)
        where T : new()
    {
        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(UnderscoredNamingConvention.Instance)
            .WithTypeConverter(new DurationConverter())
            .WithTypeConverter(new SnakeCaseEnumConverter())
            .WithDuplicateKeyChecking()
            .Build();

        var value = YamlSyntax.Read(displayName, text, parser => deserializer.Deserialize<T>(parser), exception => Describe(exception, text)) ?? new T();
        EmptyKeys.Restore(value);

        if (validate is not null)
        {
            var errors = new ConfigErrors();
            validate(value, errors);
            if (errors.Items.Count > 0)
            {
                var root = LoadRoot(displayName, text);
                var lines = errors.Items.Select(error => $"{displayName}:{LineOf(root, error.Path)}: {error.Path}: {error.Message}");
                throw new ConfigException(string.Join(Environment.NewLine, lines));
            }
        }

        return value;
    }

    /// <summary>
    /// YamlDotNet's messages carry positions and .NET type names; keep only what an operator can act on:
    /// the key, what it takes, what was given.
    /// </summary>
    private static string Describe(YamlException exception, string text)
    {
        var innermost = exception;
        while (innermost.InnerException is YamlException inner)
        {
            innermost = inner;
        }

        var message = PositionPrefix().Replace(innermost.Message, string.Empty);
        var unknown = UnknownProperty().Match(message);
        if (unknown.Success)
        {
            return $"unknown key '{unknown.Groups[1].Value}'";
        }

        var duplicate = DuplicateKey().Match(message);
        if (duplicate.Success)
        {
            return $"'{duplicate.Groups[1].Value}' is given twice; say it once";
        }

        if (innermost.InnerException is not null || message.Contains("System.", StringComparison.Ordinal))
        {
            var cause = innermost.InnerException?.Message ?? message;
            var key = KeyAt(text, innermost.Start) ?? KeyAt(text, exception.Start) ?? KeyOnLine(text, innermost.Start.Line);
            var expected = Expected(cause + " " + message);
            return (key, expected) switch
            {
                ({ } name, { } type) => $"{name}: takes {type}",
                ({ } name, null) => $"{name}: bad value ({PlainCause(cause)})",
                (null, { } type) => $"bad value: takes {type}",
                _ => $"bad value: {PlainCause(cause)}",
            };
        }

        // Our own converters' messages ("'soon' is not a duration ..."): with the key they are about.
        return (KeyAt(text, innermost.Start) ?? KeyAt(text, exception.Start)) is { } named ? $"{named}: {message.TrimEnd('.')}" : message.TrimEnd('.');
    }

    /// <summary>What a .NET type in YamlDotNet's message means to an operator; null when it names none we know.</summary>
    private static string? Expected(string message) => message switch
    {
        _ when message.Contains("List`1", StringComparison.Ordinal) => "a list, e.g. [a, b] (one item still needs the brackets)",
        _ when message.Contains("Boolean", StringComparison.Ordinal) => "true or false",
        _ when message.Contains("TimeSpan", StringComparison.Ordinal) || message.Contains("duration", StringComparison.OrdinalIgnoreCase) => "a duration, e.g. 30s, 5m, 1h, 7d",
        _ when message.Contains("Int32", StringComparison.Ordinal) || message.Contains("Int64", StringComparison.Ordinal) || message.Contains("correct format", StringComparison.Ordinal) => "a whole number",
        _ when message.Contains("Double", StringComparison.Ordinal) => "a number",
        _ when message.Contains("Dictionary", StringComparison.Ordinal) || message.Contains("mapping", StringComparison.OrdinalIgnoreCase) => "a mapping, e.g. {key: value}",
        _ => null,
    };

    /// <summary>A cause without .NET type names (assembly-qualified names help nobody reading a config error).</summary>
    private static string PlainCause(string message) => AssemblyQualified().Replace(message, string.Empty).TrimEnd('.');

    /// <summary>When the file does not parse as a whole: the key written on that line ("  tag: [6" → tag).</summary>
    private static string? KeyOnLine(string text, long line)
    {
        var lines = text.Split('\n');
        return line >= 1 && line <= lines.Length && KeyOfLine().Match(lines[line - 1]) is { Success: true } match ? match.Groups[1].Value : null;
    }

    /// <summary>The dotted key whose value starts at <paramref name="at"/> (limits.max_recipients), or null.</summary>
    private static string? KeyAt(string text, Mark at)
    {
        YamlNode? root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            root = stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
        }
        catch (YamlException)
        {
            return null;
        }

        return Find(root, string.Empty);

        string? Find(YamlNode? node, string path)
        {
            switch (node)
            {
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children)
                    {
                        var name = path.Length == 0 ? ((YamlScalarNode)key).Value : $"{path}.{((YamlScalarNode)key).Value}";
                        if (value.Start.Line == at.Line && value.Start.Column == at.Column)
                        {
                            return name;
                        }

                        if (Find(value, name!) is { } deeper)
                        {
                            return deeper;
                        }
                    }

                    return null;
                case YamlSequenceNode list:
                    for (var i = 0; i < list.Children.Count; i++)
                    {
                        if (list.Children[i].Start.Line == at.Line && list.Children[i].Start.Column == at.Column)
                        {
                            return $"{path}.{i}";
                        }

                        if (Find(list.Children[i], $"{path}.{i}") is { } deeper)
                        {
                            return deeper;
                        }
                    }

                    return null;
                default:
                    return null;
            }
        }
    }

    private static YamlNode? LoadRoot(string displayName, string text)
    {
        var stream = YamlSyntax.Load(displayName, text);
        return stream.Documents.Count > 0 ? stream.Documents[0].RootNode : null;
    }

    /// <summary>The line of the deepest node on the path that exists (a missing key points at its parent).</summary>
    private static long LineOf(YamlNode? node, string path)
    {
        long line = node?.Start.Line ?? 1;
        foreach (var part in path.Split('.'))
        {
            if (node is YamlMappingNode map && map.Children.FirstOrDefault(pair => pair.Key is YamlScalarNode key && key.Value == part) is { Key: not null } entry)
            {
                // The key's line: for a nested mapping that is where the operator looks, not its first child.
                line = entry.Key.Start.Line;
                node = entry.Value;
            }
            else if (node is YamlSequenceNode list && int.TryParse(part, out var index) && index < list.Children.Count)
            {
                node = list.Children[index];
                line = node.Start.Line;
            }
            else
            {
                break;
            }
        }

        return line;
    }

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex PositionPrefix();

    [GeneratedRegex(@"Property '([^']+)' not found on type")]
    private static partial Regex UnknownProperty();

    [GeneratedRegex(@"duplicate key:?\s+'?([A-Za-z0-9_]+)'?", RegexOptions.IgnoreCase)]
    private static partial Regex DuplicateKey();

    [GeneratedRegex(@"'?System\.[A-Za-z0-9_.`]+(\[\[.*?\]\])?'?")]
    private static partial Regex AssemblyQualified();

    [GeneratedRegex(@"^\s*-?\s*([A-Za-z0-9_]+)\s*:")]
    private static partial Regex KeyOfLine();
}
