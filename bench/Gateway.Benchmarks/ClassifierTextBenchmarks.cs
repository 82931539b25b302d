using BenchmarkDotNet.Attributes;
using Gateway.Core.Classification;
using Gateway.Core.Corpus;
using MimeKit;

namespace Gateway.Benchmarks;

/// <summary>
/// The classifier's text path on a fixed sample of both corpora (every 20th message of the ham and spam of
/// ../shared/corpus and ../shared/corpus-modern): feature extraction from the parsed message, and the hashed n-gram counting
/// with the trees. Each benchmark processes the whole sample (~450 messages) per operation.
/// </summary>
[MemoryDiagnoser]
public class ClassifierTextBenchmarks
{
    private List<MimeMessage> _parsed = [];
    private List<MessageFeatures> _features = [];
    private readonly HashedTextFeatures _text = new();
    private SpamModel _model = null!;

    [GlobalSetup]
    public void Setup()
    {
        var shared = Path.Combine(Repository.Root, "..", "shared");
        _parsed = [.. new[] { "corpus/ham", "corpus/spam", "corpus-modern/ham", "corpus-modern/spam" }
            .SelectMany(folder => MessageFiles.Enumerate(Path.Combine(shared, folder)).Where((item, index) => index % 20 == 0 && !item.IsBinary))
            .Select(item => MimeMessage.Load(new MemoryStream(item.Raw.ToArray(), writable: false)))];
        _features = [.. _parsed.Select(message => MessageFeatures.Extract(message, 0))];
        _model = SpamModel.Load(Path.Combine(Repository.Root, "models", "spam.zip"));
    }

    [Benchmark]
    public int FeatureExtraction() => _parsed.Sum(message => MessageFeatures.Extract(message, 0).Text.Length);

    [Benchmark]
    public int HashedTextLoad()
    {
        var touched = 0;
        foreach (var features in _features)
        {
            _text.Load(features.Text);
            touched += _text.Touched.Count;
        }

        return touched;
    }

    [Benchmark]
    public double Classifier() => _features.Sum(features => _model.Predict(features, _ => false).SpamProbability);
}
