using Gateway.Core.Delivery;
using Gateway.Core.Delivery.Smtp;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Tests.Delivery;

public sealed class DownstreamReplyTests
{
    [Fact]
    public void Enhanced_codes_are_taken_from_the_reply() =>
        Assert.Equal(new SmtpReply(550, "5.1.1", "<x@example.test>: Recipient address rejected"), new DownstreamReply(550, ["5.1.1 <x@example.test>: Recipient address rejected"]).ToSmtpReply());

    [Fact]
    public void A_missing_enhanced_code_gets_the_class_default() =>
        Assert.Equal(new SmtpReply(554, "5.0.0", "Transaction failed"), new DownstreamReply(554, ["Transaction failed"]).ToSmtpReply());

    [Fact]
    public void An_enhanced_code_of_the_wrong_class_is_text() =>
        Assert.Equal("4.0.0", new DownstreamReply(451, ["5.1.1 odd"]).ToSmtpReply().EnhancedCode);

    [Fact]
    public void Control_characters_from_the_downstream_never_reach_our_client() =>
        Assert.Equal("bad text", SmtpReply.FromDownstream(550, "5.0.0", "bad\r\ntext").Text.Replace("  ", " ", StringComparison.Ordinal));

    [Fact]
    public void Temporary_data_replies_become_451_4_4_0_and_permanent_ones_pass()
    {
        Assert.Equal((451, "4.4.0"), (DeliveryReplies.ForData(new SmtpReply(452, "4.3.1", "full")).Code, DeliveryReplies.ForData(new SmtpReply(452, "4.3.1", "full")).EnhancedCode));
        Assert.Equal(new SmtpReply(554, "5.7.1", "no"), DeliveryReplies.ForData(new SmtpReply(554, "5.7.1", "no")));
    }
}
