using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Gateway.Core.Rules;

/// <summary>
/// Turns the YAML condition tree into delegates, once per load. Every mistake is collected with its exact
/// position (file:line:col), so an operator fixes all of them in one pass.
/// </summary>
internal sealed class RuleCompiler(string file, string folder, List<string> errors)
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);
    private static readonly Func<MessageView, bool> Never = _ => false;

    public string Position(YamlNode node) => $"{file}:{node.Start.Line}:{node.Start.Column}";

    public void Error(YamlNode node, string message) => errors.Add($"{Position(node)}: {message}");

    /// <summary>Symbols the conditions compiled since the last <see cref="TakeReferences"/> name.</summary>
    private readonly List<SymbolReference> _references = [];

    public IReadOnlyList<SymbolReference> TakeReferences()
    {
        var taken = _references.ToList();
        _references.Clear();
        return taken;
    }

    public Func<MessageView, bool> Condition(YamlNode node)
    {
        if (node is not YamlMappingNode { Children.Count: 1 } mapping || mapping.Children.First().Key is not YamlScalarNode { Value: { } key })
        {
            Error(node, "a condition is a mapping with exactly one key: all, any, not, or a field");
            return Never;
        }

        var value = mapping.Children.First().Value;
        switch (key)
        {
            case "all" or "any":
                if (value is not YamlSequenceNode { Children.Count: > 0 } list)
                {
                    Error(value, $"'{key}' takes a list of conditions");
                    return Never;
                }

                var parts = list.Children.Select(Condition).ToArray();
                return key == "all" ? view => parts.All(part => part(view)) : view => parts.Any(part => part(view));
            case "not":
                var inner = Condition(value);
                return view => !inner(view);
            default:
                return Field(mapping.Children.First().Key, key, value);
        }
    }

    private Func<MessageView, bool> Field(YamlNode keyNode, string name, YamlNode operators)
    {
        var field = RuleField.Find(name);
        if (field is null)
        {
            Error(keyNode, $"unknown field '{name}' (known: {string.Join(", ", RuleField.KnownNames)})");
            return Never;
        }

        if (operators is not YamlMappingNode { Children.Count: > 0 } map)
        {
            Error(operators, $"'{name}' takes operators, e.g. {{contains: text}}");
            return Never;
        }

        var tests = map.Children.Select(pair => Operator(field, pair.Key, pair.Value)).ToArray();
        return view =>
        {
            var values = field.Values(view).ToList();
            return tests.All(test => test(values));
        };
    }

    private Func<List<string>, bool> Operator(RuleField field, YamlNode keyNode, YamlNode operand)
    {
        var op = (keyNode as YamlScalarNode)?.Value ?? string.Empty;
        if (field.Name == "symbol" && op is "equals" or "in")
        {
            foreach (var named in operand is YamlSequenceNode names ? names.Children : [operand])
            {
                if (named is YamlScalarNode { Value: { } symbol })
                {
                    _references.Add(new SymbolReference(symbol, Position(named)));
                }
            }
        }

        switch (op, field.Kind)
        {
            case ("exists", _):
                var wanted = Bool(operand);
                return values => values.Any(value => value.Length > 0) == wanted;
            case ("equals", FieldKind.Number):
            case ("gt" or "lt" or "gte" or "lte", FieldKind.Number):
                var limit = Number(operand);
                Func<double, bool> compare = op switch
                {
                    "equals" => value => value == limit,
                    "gt" => value => value > limit,
                    "lt" => value => value < limit,
                    "gte" => value => value >= limit,
                    _ => value => value <= limit,
                };
                return values => values.Any(value => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && compare(number));
            case ("equals", FieldKind.Boolean):
                var flag = Bool(operand) ? "true" : "false";
                return values => values.Contains(flag);
            case ("equals", FieldKind.Text or FieldKind.Address):
                var text = Text(operand);
                return values => values.Any(value => value.Equals(text, StringComparison.OrdinalIgnoreCase));
            case ("in", FieldKind.Text or FieldKind.Address):
                var set = Texts(operand).ToHashSet(StringComparer.OrdinalIgnoreCase);
                return values => values.Any(set.Contains);
            case ("in_list", FieldKind.Text or FieldKind.Address):
                var list = ListFile(operand);
                return values => values.Any(list.Contains);
            case ("lookalike_of", FieldKind.Text):
                // A value that is not in the list but made to be read as one of its entries (Lookalike).
                var looksLikeOne = Lookalike.Of(ListFile(operand));
                return values => values.Any(looksLikeOne);
            case ("contains", FieldKind.Text):
                var part = Text(operand);
                return values => values.Any(value => value.Contains(part, StringComparison.OrdinalIgnoreCase));
            case ("starts_with", FieldKind.Text):
                var prefix = Text(operand);
                return values => values.Any(value => value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase));
            case ("ends_with", FieldKind.Text):
                var suffix = Text(operand);
                return values => values.Any(value => value.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));
            case ("matches" or "matches_case", FieldKind.Text or FieldKind.Address):
                var regex = Pattern(operand, ignoreCase: op == "matches");
                return values => values.Any(value => SafeMatch(regex, value));
            case ("cidr", FieldKind.Address):
                var networks = Texts(operand).Select(text => Network(operand, text)).ToList();
                return values => values.Any(value => IPAddress.TryParse(value, out var address) && networks.Any(network => network.Contains(address)));
            default:
                Error(keyNode, $"operator '{op}' does not apply to {field.Kind.ToString().ToLowerInvariant()} field '{field.Name}'");
                return _ => false;
        }
    }

    /// <summary>
    /// <c>matches</c> ignores case, <c>matches_case</c> does not.
    /// Linear-time matching where the pattern allows it (no backtracking: no ReDoS from a rule or a
    /// message); patterns that need backreferences or lookarounds run with a 100 ms timeout instead,
    /// compiled to IL (a few milliseconds once per load; the interpreter cost ~2 % of the gateway's CPU
    /// on spam for the one shipped rule of that kind).
    /// </summary>
    private Regex Pattern(YamlNode operand, bool ignoreCase)
    {
        var pattern = Text(operand);
        var options = RegexOptions.CultureInvariant | (ignoreCase ? RegexOptions.IgnoreCase : RegexOptions.None);
        try
        {
            return new Regex(pattern, options | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, options | RegexOptions.Compiled, RegexTimeout);
        }
        catch (ArgumentException exception)
        {
            Error(operand, $"bad regular expression: {exception.Message}");
            return new Regex("(?!)", RegexOptions.None, RegexTimeout);
        }
    }

    private static bool SafeMatch(Regex regex, string value)
    {
        try
        {
            return regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    private IPNetwork Network(YamlNode operand, string text)
    {
        if (IPNetwork.TryParse(text, out var network))
        {
            return network;
        }

        Error(operand, $"'{text}' is not a network in CIDR notation (like 192.0.2.0/24)");
        return new IPNetwork(IPAddress.None, 32);
    }

    private HashSet<string> ListFile(YamlNode operand)
    {
        var path = Path.GetFullPath(Text(operand), folder);
        if (!File.Exists(path))
        {
            Error(operand, $"list file '{path}' does not exist");
            return [];
        }

        return File.ReadLines(path)
            .Select(line => line.Trim())
            .Where(line => line.Length > 0 && !line.StartsWith('#'))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public string Text(YamlNode node)
    {
        if (node is YamlScalarNode { Value: { } value })
        {
            return value;
        }

        Error(node, "expected a text value");
        return string.Empty;
    }

    private IEnumerable<string> Texts(YamlNode node) => node is YamlSequenceNode list ? list.Children.Select(Text).ToList() : [Text(node)];

    public double Number(YamlNode node)
    {
        if (node is YamlScalarNode { Value: { } value } && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
        {
            return number;
        }

        Error(node, "expected a number");
        return 0;
    }

    private bool Bool(YamlNode node)
    {
        if (node is YamlScalarNode { Value: { } value } && bool.TryParse(value, out var flag))
        {
            return flag;
        }

        Error(node, "expected true or false");
        return false;
    }
}
