namespace Gateway.Cli;

/// <summary>
/// A plain parser for our small, stable command line: named options (with or without a value) and
/// positional arguments. Unknown options are refused, so a typo never silently changes behaviour.
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, List<string?>> _options = new(StringComparer.Ordinal);

    private Arguments(List<string> positional) => Positional = positional;

    public IReadOnlyList<string> Positional { get; }

    public static Arguments Parse(IEnumerable<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flagOptions)
    {
        var positional = new List<string>();
        var parsed = new Arguments(positional);
        using var enumerator = args.GetEnumerator();
        while (enumerator.MoveNext())
        {
            var arg = enumerator.Current;
            if (arg == "--")
            {
                while (enumerator.MoveNext())
                {
                    positional.Add(enumerator.Current);
                }

                break;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(arg);
                continue;
            }

            var (name, inlineValue) = arg.IndexOf('=') is var equals and > 0 ? (arg[..equals], arg[(equals + 1)..]) : (arg, null);
            if (flagOptions.Contains(name) && inlineValue is null)
            {
                parsed.Add(name, null);
            }
            else if (valueOptions.Contains(name))
            {
                parsed.Add(name, inlineValue ?? (enumerator.MoveNext() ? enumerator.Current : throw new UsageException($"{name} needs a value")));
            }
            else
            {
                throw new UsageException($"unknown option '{name}'");
            }
        }

        return parsed;
    }

    /// <summary>The last value given for an option (later ones win, as in most tools).</summary>
    public string? Value(string name) => _options.TryGetValue(name, out var values) ? values[^1] : null;

    /// <summary>Every value of an option that may repeat (--ham A --ham B).</summary>
    public IReadOnlyList<string> Values(string name) => _options.TryGetValue(name, out var values) ? [.. values.OfType<string>()] : [];

    private void Add(string name, string? value)
    {
        if (!_options.TryGetValue(name, out var values))
        {
            _options[name] = values = [];
        }

        values.Add(value);
    }

    public bool Has(string name) => _options.ContainsKey(name);
}
