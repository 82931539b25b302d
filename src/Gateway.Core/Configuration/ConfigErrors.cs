namespace Gateway.Core.Configuration;

/// <summary>
/// Collects validation errors by key path (<c>downstream.port</c>); <see cref="YamlFile"/> turns each path
/// into the line it stands on, so options classes validate values without knowing about YAML.
/// </summary>
public sealed class ConfigErrors
{
    private readonly List<(string Path, string Message)> _errors = [];

    public IReadOnlyList<(string Path, string Message)> Items => _errors;

    public void Add(string path, string message) => _errors.Add((path, message));

    public void Require(bool condition, string path, string message)
    {
        if (!condition)
        {
            Add(path, message);
        }
    }
}
