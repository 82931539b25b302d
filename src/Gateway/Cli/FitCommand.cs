using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Gateway.Core.Configuration;
using Gateway.Core.Corpus;
using Gateway.Core.Fitting;
using Gateway.Core.Pipeline;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using Gateway.Core.Classification;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway rules fit</c>: a mass-check of labelled mail through the offline pipeline (saved, and reused
/// while nothing it depends on changed), then weights fitted so each ham source stays within its budget at
/// the tag threshold (<see cref="WeightFitter"/>), figures from folds not fitted on, and rules/weights.yaml.
/// </summary>
internal static partial class FitCommand
{
    private static readonly HashSet<string> ValueOptions = ["--ham", "--spam", "--config", "--rules", "--log", "--folds", "--out", "--min-hits", "--curve"];
    private static readonly HashSet<string> FlagOptions = ["--rescan"];

    public static async Task<int> RunAsync(IEnumerable<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var parsed = Arguments.Parse(args, ValueOptions, FlagOptions);
        if (parsed.Positional.Count > 0)
        {
            throw new UsageException($"rules fit: unexpected '{parsed.Positional[0]}' (sources are given with --ham and --spam)");
        }

        var sources = parsed.Values("--ham").Select(spec => ParseSource(spec, isSpam: false))
            .Concat(parsed.Values("--spam").Select(spec => ParseSource(spec, isSpam: true))).ToList();
        if (!sources.Any(source => source.IsSpam) || sources.All(source => source.IsSpam))
        {
            throw new UsageException("rules fit needs at least one --ham and one --spam source");
        }

        if (sources.GroupBy(source => source.Name, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1) is { } twice)
        {
            throw new UsageException($"rules fit: two sources are named '{twice.Key}' (name them: --ham NAME=DIR)");
        }

        var folds = ParseInt(parsed.Value("--folds") ?? "5", "--folds", minimum: 2);
        var options = new FitOptions(MinHits: ParseInt(parsed.Value("--min-hits") ?? "5", "--min-hits", minimum: 1));
        var config = ConfigSource.Load(parsed.Value("--config"));
        var rulesFolder = Path.GetFullPath(parsed.Value("--rules") ?? config.RulesFolder);
        var policy = ScoringPolicy.LoadFolder(rulesFolder);
        var handSet = policy.WithFitted(null);
        var outPath = parsed.Value("--out") ?? Path.Combine(rulesFolder, ScoringPolicy.WeightsFileName);
        var logPath = parsed.Value("--log") ?? "masscheck.jsonl";

        var fingerprint = Fingerprint(sources, rulesFolder, config);
        var entries = parsed.Has("--rescan") ? null : MassCheckLog.ReadIfCurrent(logPath, fingerprint);
        if (entries is not null)
        {
            await error.WriteLineAsync($"mass-check log {logPath}: reused ({entries.Count} messages; nothing it was made from has changed; --rescan scans again)");
        }
        else
        {
            entries = await ScanAsync(sources, config, policy, error, cancellationToken);
            MassCheckLog.Write(logPath, fingerprint, entries);
            await error.WriteLineAsync($"mass-check log {logPath}: written ({entries.Count} messages)");
        }

        var empty = sources.FirstOrDefault(source => !entries.Any(entry => entry.Source == source.Name));
        if (empty is not null)
        {
            throw new UsageException($"rules fit: {empty.Path}: no messages");
        }

        if (parsed.Value("--curve") is { } curveSource)
        {
            return await CurveAsync(curveSource, sources, entries, handSet, folds, options, output);
        }

        var now = PolicyVerdicts.Count(entries, policy);
        var unseen = FitCrossValidation.Run(entries, handSet, sources, folds, options);
        var final = WeightFitter.Fit(entries, handSet, sources, options);
        var table = Table(sources, now, unseen, folds);
        foreach (var line in table)
        {
            await output.WriteLineAsync(line);
        }

        if (final.Unmeetable.Count > 0)
        {
            foreach (var shortfall in final.Unmeetable)
            {
                var budget = sources.First(source => source.Name == shortfall.Source).Budget!.Value;
                await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"gateway: rules fit: ham source {shortfall.Source}: budget {budget * 100:0.###} % allows {shortfall.Allowed} of {shortfall.Messages} flagged, but {shortfall.Flagged} are flagged whatever the fitted weights (forced actions or weights the fit does not change); {outPath} not written"));
            }

            return 1;
        }

        var weights = final.Weights;
        weights.Fitted["date"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        weights.Fitted["command"] = "gateway rules fit " + string.Join(' ', args.Select(arg => arg.Contains(' ', StringComparison.Ordinal) ? $"'{arg}'" : arg));
        weights.Fitted["messages"] = string.Join(", ", sources.Select(source => $"{source.Name} {(source.IsSpam ? "spam" : "ham")} {entries.Count(entry => entry.Source == source.Name)}" + (source.Budget is { } b ? string.Create(CultureInfo.InvariantCulture, $" (budget {b * 100:0.###} %)") : string.Empty)));
        weights.Fitted["log"] = $"{logPath} ({fingerprint[..16]})";
        weights.Fitted["kept_of_fitted_evidence"] = final.Scale.ToString("0.###", CultureInfo.InvariantCulture);
        await File.WriteAllTextAsync(outPath, WeightsFileWriter.Render(weights, table), cancellationToken);

        await output.WriteLineAsync();
        await output.WriteLineAsync($"fitted on all {entries.Count} messages:");
        foreach (var (name, weight) in weights.Weights.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {name,-34} {handSet.WeightOf(name),7:0.###} -> {weight:0.###}"));
        }

        if (weights.ClassifierMap.Count > 0)
        {
            await output.WriteLineAsync("  classifier map (p -> points): " + string.Join(", ", weights.ClassifierMap.Select(point => string.Create(CultureInfo.InvariantCulture, $"{point.P:0.###} -> {point.Score:0.##}"))));
        }

        await output.WriteLineAsync($"wrote {outPath} (the rules folder loads it; check a change with gateway replay before it goes live)");
        return 0;
    }

    /// <summary>
    /// The trade curve of one ham source: the fit run with its budget at half, once, twice, three and five times
    /// what was given (the others as given), each judged on folds it did not fit; nothing is written. What a site
    /// reads to choose a budget, and what rules/README.md shows where a target is not met.
    /// </summary>
    private static async Task<int> CurveAsync(string name, List<LabelledSource> sources, IReadOnlyList<MassCheckEntry> entries, ScoringPolicy handSet, int folds, FitOptions options, TextWriter output)
    {
        var traded = sources.FirstOrDefault(source => source.Name == name && !source.IsSpam) ?? throw new UsageException($"--curve {name}: no ham source of that name (name one with --ham {name}=DIR:BUDGET%)");
        await output.WriteLineAsync($"trade curve of {name}: each row fitted with that budget for {name}, judged on the folds it did not fit ({folds})");
        await output.WriteLineAsync(string.Join(" | ", ["budget", .. sources.Select(source => source.Name)]));
        foreach (var factor in new[] { 0.5, 1, 2, 3, 5 })
        {
            var budget = Math.Min(1, traded.Budget!.Value * factor);
            var trial = sources.Select(source => source == traded ? source with { Budget = budget } : source).ToList();
            var unseen = FitCrossValidation.Run(entries, handSet, trial, folds, options);
            var cells = trial.Select(source => unseen.GetValueOrDefault(source.Name) is var count && count.Messages > 0
                ? string.Create(CultureInfo.InvariantCulture, $"{count.Flagged} ({100.0 * count.Flagged / count.Messages:0.0} %)")
                : "-");
            await output.WriteLineAsync(string.Join(" | ", [string.Create(CultureInfo.InvariantCulture, $"{budget * 100:0.###} %"), .. cells]));
        }

        await output.WriteLineAsync("(ham: flagged; spam: caught)");
        return 0;
    }

    /// <summary>NAME=PATH:BUDGET% for ham, [NAME=]PATH for spam; the name defaults to the folder's name.</summary>
    private static LabelledSource ParseSource(string spec, bool isSpam)
    {
        var (name, rest) = spec.IndexOf('=', StringComparison.Ordinal) is var equals and > 0 ? (spec[..equals], spec[(equals + 1)..]) : (null, spec);
        double? budget = null;
        if (BudgetSuffix().Match(rest) is { Success: true } match)
        {
            if (isSpam)
            {
                throw new UsageException($"--spam {spec}: a budget is for ham sources");
            }

            budget = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) / 100;
            rest = rest[..match.Index];
        }

        if (budget is > 1)
        {
            throw new UsageException($"--ham {spec}: a budget is a percentage between 0 and 100");
        }

        if (!Directory.Exists(rest) && !File.Exists(rest))
        {
            throw new UsageException($"--{(isSpam ? "spam" : "ham")} {spec}: {rest}: no such file or directory");
        }

        name ??= Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(rest)));
        // Ham without a budget may be flagged no more than SpamAssassin's mass-checks aim for: one in a thousand.
        return new LabelledSource(name, isSpam, Path.GetFullPath(rest), isSpam ? null : budget ?? 0.001);
    }

    [GeneratedRegex(@":(\d+(?:\.\d+)?)%$")]
    private static partial Regex BudgetSuffix();

    private static int ParseInt(string text, string option, int minimum) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum ? value : throw new UsageException($"{option}: '{text}' is not a whole number of at least {minimum}");

    /// <summary>The offline pipeline over every source: symbols and factors, forced actions, the classifier's p.</summary>
    private static async Task<List<MassCheckEntry>> ScanAsync(IReadOnlyList<LabelledSource> sources, ConfigSource config, ScoringPolicy policy, TextWriter error, CancellationToken cancellationToken)
    {
        using var loggerFactory = Logging.Create(minimum: Microsoft.Extensions.Logging.LogLevel.Warning);
        using var models = CheckCatalog.Models(config.Options, loggerFactory);
        var runner = new PipelineRunner(CheckCatalog.Create(config.Options, dns: null, models), config.Options.Limits.CheckTimeout);
        var scanner = new MessageScanner(runner, () => policy, config.Options.Limits.MaxMimeDepth);
        var envelope = new Envelope(IPAddress.Loopback, "localhost", null, []);
        var progress = new ProgressLine(error);
        var entries = new List<MassCheckEntry>();
        foreach (var source in sources)
        {
            foreach (var item in MessageFiles.Enumerate(source.Path))
            {
                if (item.IsBinary)
                {
                    continue; // not mail (gateway check says so; a fit just leaves it out)
                }

                var scan = await scanner.ScanAsync("fit", envelope, item.Raw, cancellationToken);
                var symbols = new Dictionary<string, double>(StringComparer.Ordinal);
                foreach (var hit in scan.Context.Symbols)
                {
                    symbols[hit.Name] = symbols.GetValueOrDefault(hit.Name) + hit.Factor;
                }

                // An mbox's messages are named file#N: relative to the source folder as they stand (a string operation).
                var name = Directory.Exists(source.Path) ? Path.GetRelativePath(source.Path, item.Name) : Path.GetFileName(item.Name);
                entries.Add(new MassCheckEntry(source.Name, source.IsSpam, name, symbols, [.. scan.Context.ForcedActions.Select(PolicyVerdicts.FormatForced)], scan.Context.Classification?.SpamProbability));
                await progress.StepAsync();
            }
        }

        await progress.WriteSummaryAsync("mass-checked", $"{sources.Count} sources");
        return entries;
    }

    /// <summary>
    /// What a mass-check depends on: the sources (names, labels, every file's path, size and time), the rules
    /// folder's files but weights.yaml (weights do not change what fires), the model file, the config.
    /// </summary>
    private static string Fingerprint(IReadOnlyList<LabelledSource> sources, string rulesFolder, ConfigSource config)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Add(string text) => hash.AppendData(Encoding.UTF8.GetBytes(text + "\n"));
        Add("mass-check 1");
        foreach (var source in sources)
        {
            Add($"{source.Name}|{source.IsSpam}|{source.Path}");
            foreach (var file in Files(source.Path))
            {
                var info = new FileInfo(file);
                Add($"{file}|{info.Length}|{info.LastWriteTimeUtc.Ticks}");
            }
        }

        foreach (var file in Files(rulesFolder).Where(file => Path.GetFileName(file) != ScoringPolicy.WeightsFileName))
        {
            Add(Path.GetRelativePath(rulesFolder, file));
            hash.AppendData(File.ReadAllBytes(file));
        }

        var model = new FileInfo(config.Options.Classifier.ModelPath(config.Options.BaseFolder));
        Add($"{model.FullName}|{(model.Exists ? model.Length : -1)}|{(model.Exists ? model.LastWriteTimeUtc.Ticks : 0)}");
        Add(File.Exists(config.DisplayName) ? File.ReadAllText(config.DisplayName) : ConfigSource.BuiltInText());
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static IEnumerable<string> Files(string path) =>
        Directory.Exists(path) ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : [path];

    /// <summary>Per source: now (the policy in force) and after the fit (folds not fitted on).</summary>
    private static List<string> Table(IReadOnlyList<LabelledSource> sources, IReadOnlyDictionary<string, SourceCount> now, IReadOnlyDictionary<string, SourceCount> unseen, int folds)
    {
        static string Share(int count, int total) => string.Create(CultureInfo.InvariantCulture, $"{count} ({(total == 0 ? 0 : 100.0 * count / total):0.0} %)");
        var lines = new List<string>
        {
            $"after the fit: each message judged by weights fitted on the other {folds - 1} of {folds} folds",
            string.Create(CultureInfo.InvariantCulture, $"{"source",-24} {"kind",-4} {"messages",8} {"budget",8}  {"flagged now",-16} {"after the fit",-16} {"rejected after",-14}"),
        };
        foreach (var source in sources)
        {
            var (before, after) = (now.GetValueOrDefault(source.Name), unseen.GetValueOrDefault(source.Name));
            var budget = source.Budget is { } b ? string.Create(CultureInfo.InvariantCulture, $"{b * 100:0.###} %") : "-";
            var over = source.Budget is not null && after.Flagged > source.Allowed(after.Messages) ? "  over budget" : string.Empty;
            var kind = source.IsSpam ? "spam" : "ham";
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"{source.Name,-24} {kind,-4} {before.Messages,8} {budget,8}  {Share(before.Flagged, before.Messages),-16} {Share(after.Flagged, after.Messages),-16} {after.Rejected,-14}{over}"));
        }

        return lines;
    }
}
