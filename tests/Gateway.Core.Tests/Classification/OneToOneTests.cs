using Gateway.Core.Classification;
using MimeKit;

namespace Gateway.Core.Tests.Classification;

/// <summary>What makes a short message read as written to a person, so the classifier's few-word guess is scaled down.</summary>
public sealed class OneToOneTests
{
    private static MimeMessage Parse(string headers) =>
        MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(headers.ReplaceLineEndings("\r\n") + "\r\nbody\r\n")));

    [Theory]
    [InlineData("From: Anna <anna@firma.de>\nTo: tom@example.test\n", "Thank you so much for your help yesterday", true)]
    [InlineData("From: Anna <anna@firma.de>\nTo: tom@example.test\nCc: a@example.test, b@example.test\nReply-To: anna@mail.firma.de\n", "see you", true)]
    [InlineData("From: Guru <b@willseal.com>\nTo: list@vger.kernel.org\nPrecedence: bulk\n", "Do you want 20% daily profit", false)]
    [InlineData("From: x@sender.test\nTo: undisclosed-recipients:;\n", "hello", false)]
    [InlineData("From: x@sender.test\n", "no To at all", false)]
    [InlineData("From: x@sender.test\nTo: a@x.test, b@x.test, c@x.test, d@x.test\n", "four named recipients", false)]
    [InlineData("From: a@outlook.com\nTo: me@example.test\nReply-To: prodawez@cuvox.de\n", "replies go elsewhere", false)]
    [InlineData("From: a@shop.test\nTo: me@example.test\n", "Invoice enclosed. Customer Help Line: (888) 315-3816", false)]
    [InlineData("From: a@shop.test\nTo: me@example.test\n", "Call our desk on +1 970 303 4343 today", false)]
    [InlineData("From: a@shop.test\nTo: me@example.test\n", "Order 2025-11-05, reference 2655650041708", true)]
    public void Holds_for_a_few_named_recipients_replies_home_and_no_number_to_call(string headers, string text, bool expected)
    {
        Assert.Equal(expected, OneToOne.Holds(Parse(headers), text));
    }
}
