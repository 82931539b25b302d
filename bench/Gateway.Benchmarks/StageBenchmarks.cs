using BenchmarkDotNet.Attributes;
using Gateway.Core.Classification;
using Gateway.Core.Corpus;
using Gateway.Core.Delivery;
using Gateway.Core.Headers;
using Gateway.Core.Pipeline;
using Gateway.Core.Rules;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using MimeKit;

namespace Gateway.Benchmarks;

/// <summary>
/// Per-stage cost on real messages from ../shared/corpus (a fixed sample of ham and spam), offline.
/// Each benchmark processes the whole sample; divide by <see cref="SampleSize"/> for per-message figures.
/// </summary>
[MemoryDiagnoser]
public class StageBenchmarks
{
    public const int SampleSize = 200;

    private List<byte[]> _raw = [];
    private List<MimeMessage> _parsed = [];
    private List<MessageFeatures> _features = [];
    private SpamModel _model = null!;
    private ScoringPolicy _policy = null!;
    private MessageScanner _scanner = null!;
    private MessageScanner _scannerBefore = null!;
    private ScoringPolicy _policyBefore = null!;
    private List<MessageContext> _contexts = [];

    [GlobalSetup]
    public void Setup()
    {
        var root = Repository.Root;
        var corpus = Path.Combine(root, "..", "shared", "corpus");
        _raw = [.. new[] { "ham", "spam" }
            .SelectMany(label => MessageFiles.Enumerate(Path.Combine(corpus, label)).Where((_, index) => index % 10 == 0).Take(SampleSize / 2))
            .Select(item => item.Raw.ToArray())];
        _parsed = [.. _raw.Select(Parse)];
        _features = [.. _parsed.Select((message, index) => MessageFeatures.Extract(message, _raw[index].Length))];
        _model = SpamModel.Load(Path.Combine(root, "models", "spam.zip"));
        _policy = ScoringPolicy.LoadFolder(Path.Combine(root, "rules"));
        var models = new ModelSource(Path.Combine(root, "models", "spam.zip"), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        _scanner = new MessageScanner(new PipelineRunner([new ClassifierCheck(models, shortTextWords: 40), new RulesCheck(["classifier"])], TimeSpan.FromSeconds(10)), () => _policy);

        // Issue 32's baseline in the same run: no brands.yaml (the brand.* fields compute nothing), no fitted
        // weights.yaml (weight x factor instead of the classifier map) and no short-text scaling.
        var withoutBrands = Directory.CreateTempSubdirectory("rules-without-brands-").FullName;
        string[] added = [Gateway.Core.Rules.Brands.BrandCatalog.FileName, ScoringPolicy.WeightsFileName];
        foreach (var file in Directory.GetFiles(Path.Combine(root, "rules"), "*", SearchOption.AllDirectories).Where(file => !added.Contains(Path.GetFileName(file))))
        {
            var target = Path.Combine(withoutBrands, Path.GetRelativePath(Path.Combine(root, "rules"), file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        _policyBefore = ScoringPolicy.LoadFolder(withoutBrands);
        _scannerBefore = new MessageScanner(new PipelineRunner([new ClassifierCheck(models, shortTextWords: 0), new RulesCheck(["classifier"])], TimeSpan.FromSeconds(10)), () => _policyBefore);
        _contexts = [.. _parsed.Select((message, index) => new MessageContext { SessionId = "b", Envelope = Envelope.Offline, RawMessage = _raw[index], Message = message })];
        foreach (var context in _contexts)
        {
            _policy.Lend(context);
        }
    }

    [Benchmark]
    public int MimeParse() => _raw.Sum(raw => Parse(raw).Headers.Count);

    [Benchmark]
    public int FeatureExtraction() => _parsed.Sum(message => MessageFeatures.Extract(message, 0).Text.Length);

    [Benchmark]
    public double Classifier() => _features.Sum(features => _model.Predict(features, _ => false).SpamProbability);

    [Benchmark]
    public double ClassifierExplained() => _features.Sum(features => _model.Predict(features).SpamProbability);

    [Benchmark]
    public int Rules() => _contexts.Sum(context => _policy.Rules.Rules.Count(rule => rule.When(new MessageView(context, _policy.Rules.Brands))));

    [Benchmark]
    public long HeaderStamping() => _raw.Sum(raw => RawHeaderEditor.Rewrite(raw, ["X-Spam-Flag: NO", "X-Spam-Score: 0.00"], ResultHeaders.SpoofedBy("mx.bench.test")).Length);

    [Benchmark]
    public int DataEncoding() => _raw.Sum(raw => SmtpDataEncoder.Encode(raw).Length);

    [Benchmark]
    public Task<int> WholeOfflinePipeline() => ScanAllAsync(_scanner);

    /// <summary>The same pipeline without brands.yaml, weights.yaml and short-text scaling (before issue 32), for the ratio.</summary>
    [Benchmark(Baseline = true)]
    public Task<int> WholeOfflinePipelineBeforeBrands() => ScanAllAsync(_scannerBefore);

    private async Task<int> ScanAllAsync(MessageScanner scanner)
    {
        var total = 0;
        foreach (var raw in _raw)
        {
            var scan = await scanner.ScanAsync("b", Envelope.Offline, raw, CancellationToken.None);
            total += scan.Verdict.Symbols.Count;
        }

        return total;
    }

    private static MimeMessage Parse(byte[] raw) => MimeMessage.Load(new MemoryStream(raw, writable: false));
}

internal static class Repository
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Gateway.sln")))
            {
                return folder.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
