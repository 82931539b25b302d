namespace Gateway.Cli;

/// <summary>
/// A plain parser for our small, stable command line: named options (with or without a value) and
/// positional arguments. Unknown options are refused, so a typo never silently changes behaviour.
/// </summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

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
                parsed._options[name] = null;
            }
            else if (valueOptions.Contains(name))
            {
                parsed._options[name] = inlineValue ?? (enumerator.MoveNext() ? enumerator.Current : throw new UsageException($"{name} needs a value"));
            }
            else
            {
                throw new UsageException($"unknown option '{name}'");
            }
        }

        return parsed;
    }

    public string? Value(string name) => _options.GetValueOrDefault(name);

    public bool Has(string name) => _options.ContainsKey(name);
}
