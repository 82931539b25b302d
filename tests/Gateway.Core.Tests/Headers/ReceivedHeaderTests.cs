using Gateway.Core.Headers;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Tests.Headers;

public sealed class ReceivedHeaderTests
{
    [Fact]
    public void The_verified_reverse_name_stands_beside_the_address_as_postfix_writes_it()
    {
        var verified = new Envelope(IPAddress.Parse("192.0.2.25"), "mx.sender.test", "a@sender.test", ["user@example.test"]) { ReverseName = "mail.sender.test." };
        var unverified = verified with { ReverseName = null };
        var hostile = verified with { ReverseName = "evil.test)\r\nX-Injected: yes" };

        Assert.StartsWith("Received: from mx.sender.test (mail.sender.test [192.0.2.25])", ResultHeaders.Received(verified, "gw.example.test", "ID1", DateTimeOffset.UnixEpoch), StringComparison.Ordinal);
        Assert.StartsWith("Received: from mx.sender.test ([192.0.2.25])", ResultHeaders.Received(unverified, "gw.example.test", "ID1", DateTimeOffset.UnixEpoch), StringComparison.Ordinal);
        Assert.DoesNotContain("\r\nX-Injected", ResultHeaders.Received(hostile, "gw.example.test", "ID1", DateTimeOffset.UnixEpoch), StringComparison.Ordinal);
    }
}
