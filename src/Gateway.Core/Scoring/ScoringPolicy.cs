using Gateway.Core.Configuration;
using Gateway.Core.Pipeline;
using Gateway.Core.Reputation;
using Gateway.Core.Rules;

namespace Gateway.Core.Scoring;

/// <summary>
/// One immutable snapshot of the scoring side of rules/: weights, group caps and thresholds. A message
/// takes the snapshot once and uses it throughout, so a reload never splits a decision.
/// </summary>
public sealed class ScoringPolicy
{
    public const string ActionsFileName = "actions.yaml";
    public const string SymbolsFileName = "symbols.yaml";

    public const string ListsFileName = "lists.yaml";

    /// <summary>Fitted weights and the classifier map (<c>gateway rules fit</c>); optional.</summary>
    public const string WeightsFileName = "weights.yaml";

    public ScoringPolicy(ActionsFile actions, SymbolsFile symbols, Rules.RuleSet? rules = null, Reputation.DnsListsFile? lists = null, WeightsFile? fitted = null)
    {
        Actions = actions;
        Symbols = symbols;
        Rules = rules ?? Gateway.Core.Rules.RuleSet.Empty;
        Lists = lists ?? new Reputation.DnsListsFile();
        Fitted = fitted;
        (Weights, WeightProblems) = SymbolWeights.Build(Symbols, Rules, Lists, fitted);
        ClassifierMap = fitted is { ClassifierMap.Count: > 0 } ? new ClassifierMap(fitted.ClassifierMap) : null;
    }

    /// <summary>The same policy with other fitted weights (null: the hand-set weights alone).</summary>
    /// <summary>Puts this snapshot's rules and DNS lists on a message's context, for the checks that read them.</summary>
    public void Lend(MessageContext context)
    {
        context.UseRules(Rules);
        context.UseDnsLists(Lists);
    }

    public ScoringPolicy WithFitted(WeightsFile? fitted) => new(Actions, Symbols, Rules, Lists, fitted);

    /// <summary>weights.yaml as loaded, or null when the folder has none (hand-set weights only).</summary>
    public WeightsFile? Fitted { get; }

    /// <summary>The fitted map from the classifier's probability to points; null: ML_SPAM/ML_HAM weight × factor.</summary>
    public ClassifierMap? ClassifierMap { get; }

    /// <summary>What one hit scores: the classifier map's points for ML_SPAM/ML_HAM when there is a map, else weight × factor.</summary>
    public double ScoreOf(Pipeline.SymbolHit hit) =>
        ClassifierMap?.ScoreOf(hit.Name, hit.Factor) ?? (WeightOf(hit.Name) * hit.Factor);

    /// <summary>Every symbol's weight and group, resolved once for this snapshot.</summary>
    public SymbolWeights Weights { get; }

    /// <summary>Symbols given two different weights (refused by <see cref="LoadFolder"/>).</summary>
    private IReadOnlyList<string> WeightProblems { get; }

    public Reputation.DnsListsFile Lists { get; }

    public Rules.RuleSet Rules { get; }

    /// <summary>A symbol's weight: symbols.yaml's, a rule's score, or a DNS list meaning's (one of them; two that differ are refused at load), else 0.</summary>
    public double WeightOf(string symbol) => Weights.WeightOf(symbol);

    public ActionsFile Actions { get; }

    /// <summary>The policy group of a recipient: its address listed, else its domain, else <see cref="PolicyGroup.Default"/>.</summary>
    public string GroupOf(string recipient)
    {
        var domain = recipient[(recipient.LastIndexOf('@') + 1)..].TrimEnd('.');
        return Actions.Groups.FirstOrDefault(group => group.Recipients.Any(item => item.Contains('@') && string.Equals(item, recipient, StringComparison.OrdinalIgnoreCase)))?.Name
            ?? Actions.Groups.FirstOrDefault(group => group.Recipients.Any(item => !item.Contains('@') && string.Equals(item.TrimEnd('.'), domain, StringComparison.OrdinalIgnoreCase)))?.Name
            ?? PolicyGroup.Default;
    }

    /// <summary>A message's group: the one the SMTP dialogue fixed, else its first recipient's (gateway check, replay).</summary>
    public string GroupOf(Pipeline.Envelope envelope) =>
        envelope.PolicyGroup ?? (envelope.Recipients.Count > 0 ? GroupOf(envelope.Recipients[0]) : PolicyGroup.Default);

    /// <summary>The thresholds of a policy group (actions.yaml's for the default group or an unknown one).</summary>
    public ActionThresholds ThresholdsFor(string? group) =>
        Actions.Groups.FirstOrDefault(item => item.Name == group) is { } found ? found.Over(Actions.Actions) : Actions.Actions;

    public SymbolsFile Symbols { get; }

    public static ScoringPolicy LoadFolder(string folder)
    {
        if (!System.IO.Directory.Exists(folder))
        {
            throw new ConfigException($"{folder}: the rules folder does not exist (rules: in gateway.yaml is relative to that file's folder; give an absolute path or put rules/ beside it)");
        }

        var actions = LoadFile<ActionsFile>(folder, ActionsFileName, (file, errors) => file.Validate(errors));
        var symbols = LoadFile<SymbolsFile>(folder, SymbolsFileName, (file, errors) => file.Validate(errors));
        var rules = Gateway.Core.Rules.RuleSetLoader.LoadFolder(folder);
        var lists = File.Exists(Path.Combine(folder, ListsFileName))
            ? LoadFile<Reputation.DnsListsFile>(folder, ListsFileName, (file, errors) => file.Validate(errors))
            : new Reputation.DnsListsFile();
        var fitted = File.Exists(Path.Combine(folder, WeightsFileName))
            ? LoadFile<WeightsFile>(folder, WeightsFileName, (file, errors) => file.Validate(errors, symbol => SymbolCatalog.IsKnown(symbol, rules, symbols, lists)))
            : null;
        var policy = new ScoringPolicy(actions, symbols, rules, lists, fitted);
        var problems = SymbolCatalog.Problems(rules, symbols, lists).Concat(policy.WeightProblems).ToList();
        if (problems.Count > 0)
        {
            throw new ConfigException(string.Join(Environment.NewLine, problems));
        }

        return policy;
    }

    /// <summary>The group a symbol's score counts in: symbols.yaml's, else its rule's (group: in the rule), else none.</summary>
    public string? GroupOfSymbol(string symbol) => Weights.GroupOf(symbol);

    /// <summary>What a symbol means, in words: symbols.yaml's description, else its rule's; null when neither says.</summary>
    public string? DescriptionOf(string symbol) =>
        Symbols.Symbols.TryGetValue(symbol, out var definition) && definition.Description is { } declared ? declared : Rules.DescriptionOf(symbol);

    private static T LoadFile<T>(string folder, string name, Action<T, ConfigErrors> validate)
        where T : new()
    {
        var path = Path.Combine(folder, name);
        return File.Exists(path) ? YamlFile.Load(path, File.ReadAllText(path), validate) : throw new ConfigException($"{path}:1: file is missing");
    }
}
