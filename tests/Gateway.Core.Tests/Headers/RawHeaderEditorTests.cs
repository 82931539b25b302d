using Gateway.Core.Headers;

namespace Gateway.Core.Tests.Headers;

public sealed class RawHeaderEditorTests
{
    private static readonly HashSet<string> Owned = new(["X-Spam-Flag", "X-Spam-Status"], StringComparer.OrdinalIgnoreCase);

    [Fact]
    public void Prepends_fields_and_keeps_every_other_byte()
    {
        var original = "From: a@example.test\r\nSubject: hi\r\n\r\nbody \u00e9\r\nX-Spam-Flag: NO\r\n"u8.ToArray();

        var result = RawHeaderEditor.Rewrite(original, ["X-Spam-Flag: YES"], Owned);

        Assert.Equal("X-Spam-Flag: YES\r\n"u8.ToArray().Concat(original), result);
    }

    [Fact]
    public void Removes_spoofed_copies_of_our_fields_with_their_continuation_lines()
    {
        var original = "x-spam-status: No, score=-100\r\n\tsymbols=FAKE\r\nFrom: a@example.test\r\nX-Spam-Flag: NO\r\nSubject: hi\r\n\r\nX-Spam-Flag: body text stays\r\n";

        var result = Encoding.UTF8.GetString(RawHeaderEditor.Rewrite(Encoding.UTF8.GetBytes(original), ["X-Spam-Flag: YES"], Owned));

        Assert.Equal("X-Spam-Flag: YES\r\nFrom: a@example.test\r\nSubject: hi\r\n\r\nX-Spam-Flag: body text stays\r\n", result);
    }

    [Fact]
    public void Works_with_bare_lf_messages_and_messages_without_a_body()
    {
        var result = Encoding.UTF8.GetString(RawHeaderEditor.Rewrite("Subject: hi\nX-Spam-Flag: NO\n"u8, ["A: b"], Owned));

        Assert.Equal("A: b\r\nSubject: hi\n", result);
    }
}
