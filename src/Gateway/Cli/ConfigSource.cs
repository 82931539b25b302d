using System.Reflection;
using Gateway.Core.Configuration;

namespace Gateway.Cli;

/// <summary>
/// Where the configuration comes from: the file named by --config, or the copy of gateway.yaml built into
/// the executable, so that <c>gateway run</c> works on a fresh machine. Relative paths are relative to the
/// config file's folder; for the built-in copy, to the working directory, with the rules and model
/// installed beside the executable where the working directory has none.
/// </summary>
internal sealed record ConfigSource(GatewayOptions Options, string RulesFolder, string DisplayName)
{
    public const string BuiltInName = "gateway.yaml (built-in default)";

    public static ConfigSource Load(string? path)
    {
        if (path is null)
        {
            // The built-in config resolves everything against the working directory, as a config file does
            // against its own folder: rules/ and models/spam.zip there win (a checkout's, which a newcomer
            // edits); where the working directory has none, the copies installed with the executable serve,
            // so `gateway check` works from any folder. What it writes (data/...) goes under the working directory.
            var here = Environment.CurrentDirectory;
            var options = GatewayOptions.Load(BuiltInName, BuiltInText(), here);
            var installed = AppContext.BaseDirectory;
            var model = Path.GetFullPath(options.Classifier.Model, here);
            options = options with { Classifier = options.Classifier with { Model = File.Exists(model) ? model : Path.GetFullPath(options.Classifier.Model, installed) } };
            var rules = Path.GetFullPath(options.Rules, here);
            return new ConfigSource(options, Directory.Exists(rules) ? rules : Path.GetFullPath(options.Rules, installed), BuiltInName);
        }

        if (!File.Exists(path))
        {
            throw new ConfigException($"{path}: no such file");
        }

        var baseFolder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var loaded = GatewayOptions.Load(path, File.ReadAllText(path), baseFolder);
        return new ConfigSource(loaded, Path.GetFullPath(loaded.Rules, baseFolder), path);
    }

    public static string BuiltInText()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("gateway.yaml")
            ?? throw new InvalidOperationException("the built-in gateway.yaml is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
