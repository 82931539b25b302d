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
            .Build();

        var value = YamlSyntax.Read(displayName, text, parser => deserializer.Deserialize<T>(parser), Describe) ?? new T();

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

    /// <summary>YamlDotNet's messages carry positions and type names; keep only what an operator can act on.</summary>
    private static string Describe(YamlException exception)
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

        if (innermost.InnerException is { } cause)
        {
            return $"bad value: {cause.Message}";
        }

        return message.TrimEnd('.');
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
}
