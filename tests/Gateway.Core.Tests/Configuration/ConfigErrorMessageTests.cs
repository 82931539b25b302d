using Gateway.Core.Configuration;
using Gateway.Core.Scoring;

namespace Gateway.Core.Tests.Configuration;

/// <summary>Config mistakes a new operator makes, each answered with the real position, the key and what it takes — never a .NET type name.</summary>
public sealed class ConfigErrorMessageTests
{
    [Theory]
    [InlineData("domains: example.test\n", "gateway.yaml:1:10: domains: takes a list, e.g. [a, b]")]
    [InlineData("domains: [example.test]\nlimits:\n  max_recipients: lots\n", "gateway.yaml:3:19: limits.max_recipients: takes a whole number")]
    [InlineData("domains: [example.test]\nclassifier: {enabled: maybe}\n", "gateway.yaml:2:23: classifier.enabled: takes true or false")]
    [InlineData("domains: [example.test]\nmode: enforce\nmode: shadow\n", "gateway.yaml:3:1: 'mode' is given twice; say it once")]
    [InlineData("domains: [example.test]\nlimits:\n\tmax_recipients: 5\n", "gateway.yaml:3:1: not valid YAML: a tab in the indentation")]
    [InlineData("domains: [example.test]\nlimits: {command_timeout: soon}\n", "gateway.yaml:2:27: limits.command_timeout: 'soon' is not a duration")]
    [InlineData("domains:\n", "gateway.yaml:1: domains: list at least one domain")] // an empty key: once a NullReferenceException
    [InlineData("domains: [example.test]\nlisten:\n", "gateway.yaml:2: listen: needs at least one address")]
    [InlineData("domains: [example.test]\ndownstream:\n  routes:\n    - domains:\n      servers:\n", "gateway.yaml:4: downstream.routes.0.domains: needs at least one domain")]
    public void A_mistake_names_its_line_the_key_and_what_it_takes(string yaml, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => GatewayOptions.Load("gateway.yaml", yaml));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_section_means_its_defaults()
    {
        var options = GatewayOptions.Load("gateway.yaml", "domains: [example.test]\nlimits:\ndownstream:\nlearning:\n");

        Assert.Equal(new LimitsOptions().MaxRecipients, options.Limits.MaxRecipients);
        Assert.True(options.Downstream.IsDirectory);
        Assert.Empty(options.Learning.Imap);
    }

    [Fact]
    public void An_unclosed_bracket_in_actions_yaml_names_the_key_on_its_line()
    {
        var folder = Directory.CreateTempSubdirectory("rules-").FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "rules")))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        Directory.CreateDirectory(Path.Combine(folder, "lists"));
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Path, "rules", "lists")))
        {
            File.Copy(file, Path.Combine(folder, "lists", Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(folder, "actions.yaml"), "actions:\n  tag: [6\n");

        var error = Assert.Throws<ConfigException>(() => ScoringPolicy.LoadFolder(folder));

        Assert.Contains("actions.yaml:2:8: tag: takes a number", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("No node deserializer", error.Message, StringComparison.Ordinal);
    }
}
