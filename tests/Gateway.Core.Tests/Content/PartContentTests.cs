using Gateway.Core.Content;
using Gateway.Core.Corpus;
using Gateway.Tests.Shared;
using MimeKit;

namespace Gateway.Core.Tests.Content;

public sealed class PartContentTests
{
    /// <summary>
    /// The ASCII and UTF-8 shortcuts must give the text MimeKit's own decoding gives: every text part of a
    /// slice of both corpora (plain and HTML, quoted-printable and base64, declared, missing and unknown
    /// charsets; corpus-modern for UTF-8, most of its mail that is not ASCII).
    /// </summary>
    [SkippableFact]
    public void Decoded_text_is_what_MimeKit_decodes_for_corpus_parts()
    {
        SharedData.Require("corpus");
        SharedData.Require("corpus-modern");
        var compared = 0;
        foreach (var folder in new[] { "corpus/ham/easy_ham", "corpus/ham/hard_ham", "corpus/spam/spam", "corpus/spam/spam_2", "corpus-modern/ham", "corpus-modern/spam" })
        {
            foreach (var item in MessageFiles.Enumerate(Path.Combine(RepositoryRoot.Shared, folder)).Where((_, index) => index % 5 == 0))
            {
                // As read from the file (LF) and as it comes over SMTP (CRLF).
                foreach (var raw in new[] { item.Raw.ToArray(), System.Text.Encoding.Latin1.GetBytes(System.Text.Encoding.Latin1.GetString(item.Raw.Span).ReplaceLineEndings("\r\n")) })
                {
                    var message = MimeMessage.Load(new MemoryStream(raw));
                    foreach (var part in message.BodyParts.OfType<TextPart>())
                    {
                        var expected = Mime(part);
                        var actual = PartContent.Of(part).Decoded;
                        var at = expected.AsSpan().CommonPrefixLength(actual);
                        Assert.True(expected == actual, $"{item.Name}: {part.ContentType.MimeType} charset={part.ContentType.Charset} decodes differently at {at}: MimeKit {Around(expected, at)}, ours {Around(actual, at)}");
                        compared++;
                    }
                }
            }
        }

        Assert.True(compared > 1000, $"only {compared} parts compared");
    }

    [Theory]
    [InlineData("utf-8", "caf\u00e9 cr\u00e8me\r\nline")]
    [InlineData("UTF8", "\ufeffa BOM, then \ud83d\ude00 and a lone\rCR and a last one\r")]
    [InlineData("utf-8", "\u00e9\r\n\r\n")]
    [InlineData("utf-7", "+AGQ- 1 +- 1")]
    [InlineData("iso-2022-jp", "\u001b$B$3$s$K$A$O\u001b(B")]
    [InlineData("DEFAULT", "plain words\r\nand a line\r")]
    [InlineData(null, "no charset at all")]
    public void Text_is_what_MimeKit_decodes_whatever_the_charset(string? charset, string body)
    {
        var part = new TextPart("plain");
        part.ContentType.Charset = charset;
        part.Content = new MimeContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(body)));

        Assert.Equal(Mime(part), PartContent.Of(part).Decoded);
    }

    [Fact]
    public void Bytes_that_are_not_utf8_under_a_utf8_label_are_left_to_MimeKit()
    {
        var part = new TextPart("html");
        part.ContentType.Charset = "utf-8";
        part.Content = new MimeContent(new MemoryStream([.. "<p>caf"u8, 0xE9, .. " cr"u8, 0xE8, .. "me\r\n"u8]));

        Assert.Equal(Mime(part), PartContent.Of(part).Decoded);
    }

    private static string Around(string text, int at) =>
        System.Text.Json.JsonSerializer.Serialize(text.Substring(Math.Max(0, at - 10), Math.Min(text.Length, at + 10) - Math.Max(0, at - 10)));

    private static string Mime(TextPart part)
    {
        try
        {
            return part.Text ?? string.Empty;
        }
        catch (Exception exception) when (exception is FormatException or ArgumentException or NotSupportedException or System.Text.DecoderFallbackException or IOException)
        {
            return string.Empty;
        }
    }
}
