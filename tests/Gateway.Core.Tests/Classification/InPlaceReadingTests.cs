using System.IO.Hashing;
using System.Text.RegularExpressions;
using Gateway.Core.Classification;
using Gateway.Core.Learning;

namespace Gateway.Core.Tests.Classification;

/// <summary>
/// Readings that were rewritten to work on the text in place (issue 37: fewer strings and Match objects per
/// message) give what the former code gave, which is kept here as the reference: on random text built from
/// the characters that matter to each, and on edge cases written out.
/// </summary>
public sealed class InPlaceReadingTests
{
    private static readonly Regex Href = new(@"href\s*=\s*[""']?([^""'\s>]+)", RegexOptions.IgnoreCase);

    /// <summary>ClassifierCheck.DistinctWords as it was: split the whole text, then count.</summary>
    private static int DistinctWordsBefore(string text, int enough)
    {
        var words = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var word in text.Split((char[])[' ', '\n', '\r', '\t', ',', '.', '!', '?', ':', ';', '"', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.Length >= 2 && word.Any(char.IsLetter) && !word.StartsWith("xlink", StringComparison.Ordinal))
            {
                words.Add(word);
                if (words.Count >= enough)
                {
                    break;
                }
            }
        }

        return words.Count;
    }

    private static string RandomText(Random random, string alphabet, int maxLength) =>
        new([.. Enumerable.Range(0, random.Next(maxLength)).Select(_ => alphabet[random.Next(alphabet.Length)])]);

    [Theory]
    [InlineData("", 5, 0)]
    [InlineData("a b c", 5, 0)]
    [InlineData("Hello hello HELLO world", 5, 2)]
    [InlineData("12 34 ab1 1x xlinkexample xLinkExample", 5, 3)]
    [InlineData("one two three four five six seven", 5, 5)]
    [InlineData("((one)) two!!three?four;five:six", 40, 6)]
    public void Distinct_words_are_counted_as_before(string text, int enough, int expected)
    {
        Assert.Equal(expected, ClassifierCheck.DistinctWords(text, enough));
        Assert.Equal(DistinctWordsBefore(text, enough), ClassifierCheck.DistinctWords(text, enough));
    }

    [Fact]
    public void Distinct_words_match_the_former_count_on_random_text()
    {
        var random = new Random(37);
        for (var i = 0; i < 20_000; i++)
        {
            var text = RandomText(random, "aAbB1 \n\r\t,.!?:;\"()xlinkéß\u00a0-", 120);
            var enough = random.Next(1, 45);
            Assert.True(DistinctWordsBefore(text, enough) == ClassifierCheck.DistinctWords(text, enough), $"'{text}' up to {enough}");
        }
    }

    [Theory]
    [InlineData("<a href=\"https://x.test/a\">", "https://x.test/a")]
    [InlineData("<a HREF = 'www.x.test'>", "www.x.test")]
    [InlineData("<a href=http://x.test/?q=1>", "http://x.test/?q=1")]
    [InlineData("<a href\t=\n\"http://x.test\"", "http://x.test")]
    [InlineData("<a href=\"\"><a href=\"b\">", "b")]
    public void Href_targets_are_what_the_pattern_captured(string html, string expected)
    {
        var match = Href.Match(html);
        Assert.Equal(expected, match.Groups[1].Value);
        Assert.Equal(expected, MessageFeatures.HrefTarget(match.ValueSpan).ToString());
    }

    [Fact]
    public void Href_targets_match_the_captured_group_on_random_markup()
    {
        var random = new Random(37);
        var matches = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var html = string.Concat(Enumerable.Range(0, random.Next(1, 8)).Select(_ => random.Next(4) switch
            {
                0 => "href",
                1 => "HRef",
                2 => "=",
                _ => RandomText(random, " \t\n=\"'>ax/\u2003", 6),
            }));
            foreach (Match match in Href.Matches(html))
            {
                matches++;
                Assert.True(match.Groups[1].Value == MessageFeatures.HrefTarget(match.ValueSpan).ToString(), $"'{html}': '{match.Value}'");
            }
        }

        Assert.True(matches > 1000, $"only {matches} matches: the random markup does not exercise the pattern");
    }

    [Fact]
    public void A_token_hashes_as_its_utf8_bytes_do_at_every_length()
    {
        foreach (var token in new[] { "", "a", "free shipping", new string('é', 100), new string('x', 600), "s:" + new string('\u4e2d', 200) })
        {
            Assert.Equal(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(token)), SiteTokens.Hash(token));
        }
    }

    /// <summary>MessageFeatures.CountCharacters by the definitions, one character at a time.</summary>
    private static (int, int, int, int) CountCharactersByDefinition(string text) => (
        text.Count(char.IsLetter),
        text.Count(c => char.IsLetter(c) && char.IsUpper(c)),
        text.Count(c => c is '!' or '$' or '%'),
        text.Count(c => c is '\u200B' or '\u200C' or '\u200D' or '\u2060' or '\u00AD' or '\uFEFF'));

    [Fact]
    public void Characters_counted_eight_at_a_time_match_the_definitions_on_random_text()
    {
        var random = new Random(37);
        for (var i = 0; i < 20_000; i++)
        {
            // ASCII runs long enough for whole blocks, letters outside ASCII (É, ß, Ω, ª), characters just past
            // the ranges ('@', '[', '`', '{'), and the invisible ones.
            var text = RandomText(random, i % 2 == 0 ? "aZ!$% @[`{09\n" : "aZ!$% @[`{09\nÉßΩª\u200B\u00AD\uFEFF\u0080\u00FF", 70);
            Assert.True(CountCharactersByDefinition(text) == MessageFeatures.CountCharacters(text), $"'{text}'");
        }
    }
}
