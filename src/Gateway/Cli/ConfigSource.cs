using System.Reflection;
using Gateway.Core.Configuration;

namespace Gateway.Cli;

/// <summary>
/// Where the configuration comes from: the file named by --config, or the copy of gateway.yaml built into
/// the executable, so that <c>gateway run</c> works on a fresh machine. The rules folder is relative to
/// the config file (to the working directory for the built-in copy).
/// </summary>
internal sealed record ConfigSource(GatewayOptions Options, string RulesFolder, string DisplayName)
{
    public const string BuiltInName = "gateway.yaml (built-in default)";

    public static ConfigSource Load(string? path)
    {
        if (path is null)
        {
            // The built-in config's policy and model are the ones installed with the executable (whatever
            // the working directory); what it writes (data/delivered, data/quarantine) goes under the working directory.
            var options = GatewayOptions.Load(BuiltInName, BuiltInText(), Environment.CurrentDirectory);
            var installed = AppContext.BaseDirectory;
            options.Classifier.Model = Path.GetFullPath(options.Classifier.Model, installed);
            return new ConfigSource(options, Path.GetFullPath(options.Rules, installed), BuiltInName);
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
