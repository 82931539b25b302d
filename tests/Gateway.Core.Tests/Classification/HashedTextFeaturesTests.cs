using Gateway.Core.Classification;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Gateway.Core.Tests.Classification;

public sealed class HashedTextFeaturesTests
{
    private static Dictionary<int, float> Vector(HashedTextFeatures features, string text)
    {
        features.Load(text);
        var (indices, values) = features.ToSparse();
        return indices.Zip(values).ToDictionary(pair => pair.First, pair => pair.Second);
    }

    [Fact]
    public void Case_diacritics_and_punctuation_do_not_change_the_features()
    {
        var features = new HashedTextFeatures();

        var plain = Vector(features, "cafe creme, free money now");
        var disguised = Vector(features, "CAFÉ  Crème!!! Free -- MONEY now...");

        Assert.Equal(plain, disguised);
    }

    [Fact]
    public void A_scratch_instance_carries_nothing_from_one_message_to_the_next()
    {
        var reused = new HashedTextFeatures();
        Vector(reused, "an earlier message about viagra and cheap watches, long enough to touch many slots");

        Assert.Equal(Vector(new HashedTextFeatures(), "hello world"), Vector(reused, "hello world"));
    }

    [Fact]
    public void Words_pairs_and_character_trigrams_are_counted_and_the_vector_has_unit_length()
    {
        var features = new HashedTextFeatures();
        var vector = Vector(features, "ab ab");

        // "ab" twice (unigram), "ab ab" once (bigram), " ab" and "ab " twice each (trigrams): 4 or fewer slots.
        Assert.InRange(vector.Count, 3, 4);
        Assert.Equal(1.0, Math.Sqrt(vector.Values.Sum(value => (double)value * value)), 5);
        var names = features.Describe(vector.Keys).Values;
        Assert.Contains("ab", names);
        Assert.Contains("ab ab", names);
        Assert.Contains("part of \"ab\"", names);
    }

    [Fact]
    public void Every_ngram_of_a_long_text_of_distinct_words_is_counted_once()
    {
        // 3,000 words of 8 random CJK ideographs: ~33,000 n-grams, nearly all distinct. No stop words, so every
        // word counts once, every pair of neighbours once, and each of a word's 8 padded 3-grams (" ab" ... "gh ")
        // once; the norm is the root of the counts' squares.
        var random = new Random(37);
        var words = Enumerable.Range(0, 3000).Select(_ => new string([.. Enumerable.Range(0, 8).Select(_ => (char)(0x4E00 + random.Next(20_000)))])).ToList();
        var text = string.Join(' ', words);
        var features = new HashedTextFeatures();
        features.Load("a short text first");
        var vector = Vector(features, text);

        // Values are count / norm; the smallest count is 1, so the smallest value is 1 / norm.
        var norm = 1 / vector.Values.Min();
        var counts = vector.Values.Select(value => (int)Math.Round(value * norm)).ToList();
        Assert.Equal(words.Count + (words.Count - 1) + words.Sum(word => word.Length), counts.Sum());
        Assert.Equal(norm * norm, counts.Sum(count => (double)count * count), 1e-3 * norm * norm);

        // The same vector from a fresh instance, and a short text after the long one is as from a fresh one.
        Assert.Equal(Vector(new HashedTextFeatures(), text), vector);
        Assert.Equal(Vector(new HashedTextFeatures(), "hello world"), Vector(features, "hello world"));
        Assert.Equal(0f, features.Value(Enumerable.Range(0, HashedTextFeatures.SlotCount).First(slot => !features.Touched.Contains(slot))));
    }

    [Fact]
    public void Empty_text_gives_an_empty_vector()
    {
        Assert.Empty(Vector(new HashedTextFeatures(), "  ,,, !! "));
    }

    [Fact]
    public void The_numeric_features_fill_exactly_their_slots_in_the_layout()
    {
        Span<float> numerics = stackalloc float[FeatureLayout.NumericCount];
        new MessageFeatures("text", 1, 2, 3, 4, 5, 6).Numerics(numerics);

        Assert.Equal(FeatureLayout.NumericCount, MessageFeatures.NumericNames.Length);
        Assert.Equal([1f, 2, 3, 4, 5, 6], numerics.ToArray());
    }

    [Fact]
    public void A_model_of_another_layout_is_refused_with_a_reason_to_retrain()
    {
        // An ML.NET model over some other input (as models of earlier versions were): loadable by ML.NET, not ours.
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 40).Select(i => new OtherRow { Label = i % 2 == 0, Features = [i % 2, i, 1] }).ToList();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.FastTree(numberOfTrees: 2, minimumExampleCountPerLeaf: 2).Fit(data);
        var path = Path.Combine(Directory.CreateTempSubdirectory("model-").FullName, "spam.zip");
        ml.Model.Save(model, data.Schema, path);

        var error = Assert.Throws<InvalidDataException>(() => SpamModel.Load(path));
        Assert.Contains("retrain", error.Message, StringComparison.Ordinal);
    }

    private sealed class OtherRow
    {
        public bool Label { get; set; }

        [VectorType(3)]
        public float[] Features { get; set; } = [];
    }
}
