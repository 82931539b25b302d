using System.Buffers;
using Gateway.Core.Delivery;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Tests.Delivery;

public sealed class SmtpDataEncoderTests
{
    private static string Encode(string message) => Encoding.Latin1.GetString(SmtpDataEncoder.Encode(Encoding.Latin1.GetBytes(message)).Span);

    /// <summary>Every split of a tricky message into two blocks encodes exactly as the whole does.</summary>
    [Fact]
    public void A_message_in_blocks_encodes_as_the_whole_wherever_the_blocks_split()
    {
        var message = Encoding.Latin1.GetBytes("Subject: x\r\n\r\n.dot\r\nbare\rcr\nlf\r\n..\r\n.\r\nend");
        var whole = Encode(Encoding.Latin1.GetString(message));

        for (var split = 0; split <= message.Length; split++)
        {
            var blocks = MessageBytes.Of(message.AsMemory(0, split), message.AsMemory(split));
            Assert.Equal(whole, Encoding.Latin1.GetString(SmtpDataEncoder.Encode(blocks).Span));
        }
    }

    [Fact]
    public void Crlf_messages_pass_byte_for_byte_plus_the_terminator() =>
        Assert.Equal("Subject: x\r\n\r\nbody\r\n.\r\n", Encode("Subject: x\r\n\r\nbody"));

    [Fact]
    public void Lines_starting_with_a_dot_are_stuffed() =>
        Assert.Equal("a\r\n..\r\n..b\r\n...\r\n.\r\n", Encode(".\r\n.b\r\n..\r\n".Insert(0, "a\r\n")));

    [Fact]
    public void Empty_message_is_just_the_terminator() => Assert.Equal(".\r\n", Encode(string.Empty));

    [Theory]
    [InlineData("a\n.\nb")]
    [InlineData("a\r.\rb")]
    [InlineData("a\n.\r\nb")]
    [InlineData("a\r\n.\nb")]
    [InlineData("a\r\n.\rb")]
    [InlineData("a\r\r\n.\r\r\nb")]
    public void Smuggled_end_of_data_sequences_cannot_end_data_early(string message)
    {
        var wire = Encode(message);

        // Exactly one CRLF.CRLF, and it is at the very end: the downstream sees one message.
        Assert.EndsWith("\r\n.\r\n", wire, StringComparison.Ordinal);
        Assert.Equal(wire.Length - 5, wire.IndexOf("\r\n.\r\n", StringComparison.Ordinal));
        Assert.DoesNotContain("\r\n.\r", wire[..^5], StringComparison.Ordinal);
    }

    [Fact]
    public void Bare_line_endings_become_crlf() => Assert.Equal("a\r\nb\r\nc\r\n", Encoding.Latin1.GetString(SmtpDataEncoder.Normalize("a\nb\rc"u8).Span));

    [Theory]
    [InlineData(10)]
    [InlineData(65535)]
    [InlineData(65536)]
    [InlineData(200_000)]
    public async Task Streaming_in_chunks_writes_exactly_what_encoding_whole_gives(int size)
    {
        // Lines of every ending, a dot at line starts, and a CR right on the 64 KB chunk boundary.
        var text = new StringBuilder();
        var endings = new[] { "\r\n", "\n", "\r", "\r\n" };
        for (var line = 0; text.Length < size; line++)
        {
            text.Append(line % 7 == 0 ? "." : string.Empty).Append('x', line % 50).Append(endings[line % endings.Length]);
        }

        var bytes = Encoding.Latin1.GetBytes(text.ToString(0, size));
        bytes[Math.Min(65535, size - 1)] = (byte)'\r';
        var message = new ReadOnlySequence<byte>(bytes);
        using var wire = new MemoryStream();

        await SmtpDataEncoder.WriteDataAsync(message, wire, CancellationToken.None);

        Assert.Equal(SmtpDataEncoder.Encode(message).ToArray(), wire.ToArray());
    }
}
