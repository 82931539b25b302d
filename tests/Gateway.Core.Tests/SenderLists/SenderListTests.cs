using System.Text;
using Gateway.Core.Authentication;
using Gateway.Core.Authentication.Dmarc;
using Gateway.Core.Authentication.Spf;
using Gateway.Core.Pipeline;
using Gateway.Core.SenderLists;
using MimeKit;

namespace Gateway.Core.Tests.SenderLists;

public sealed class SenderListTests
{
    private static SenderListFile Lists(params SenderListEntry[] entries)
    {
        var lists = new SenderListFile(Path.Combine(Directory.CreateTempSubdirectory("lists-").FullName, "sender-lists.json"));
        foreach (var entry in entries)
        {
            lists.Add(entry);
        }

        return lists;
    }

    [Theory]
    [InlineData("*", "alice@example.test", true)]
    [InlineData("example.test", "alice@example.test", true)]
    [InlineData("example.test", "alice@sales.example.test", false)]
    [InlineData("alice@example.test", "ALICE@example.test", true)]
    [InlineData("alice@example.test", "bob@example.test", false)]
    public void An_entry_is_for_everyone_a_domain_of_ours_or_one_recipient(string forWhom, string recipient, bool applies) =>
        Assert.Equal(applies, SenderListEntry.Create(forWhom, "news@shop.test", SenderListKind.Allow).AppliesTo(recipient));

    [Theory]
    [InlineData("shop.test", "news@shop.test", true)]
    [InlineData("shop.test", "news@mail.shop.test", true)] // a domain takes in its subdomains
    [InlineData("shop.test", "news@evilshop.test", false)]
    [InlineData("shop.test", "news@shop.test.evil.example", false)]
    [InlineData("news@shop.test", "NEWS@shop.test", true)]
    [InlineData("news@shop.test", "other@shop.test", false)]
    [InlineData("news@shop.test", null, false)] // the null sender
    public void A_sender_is_an_address_or_a_domain_with_its_subdomains(string sender, string? address, bool named) =>
        Assert.Equal(named, SenderListEntry.Create("*", sender, SenderListKind.Block).Names(address));

    [Theory]
    [InlineData("*", "not an address")]
    [InlineData("nobody", "shop.test")]
    [InlineData("*", "@shop.test")]
    public void A_malformed_entry_is_refused(string forWhom, string sender) =>
        Assert.Throws<ArgumentException>(() => SenderListEntry.Create(forWhom, sender, SenderListKind.Allow));

    [Fact]
    public void The_file_keeps_one_entry_per_recipient_and_sender_and_is_read_again_when_it_changes()
    {
        var lists = Lists(SenderListEntry.Create("alice@example.test", "shop.test", SenderListKind.Allow));
        var reader = new SenderListFile(lists.Path);
        Assert.Equal(SenderListKind.Allow, Assert.Single(reader.For("alice@example.test")).Kind);

        lists.Add(SenderListEntry.Create("alice@example.test", "shop.test", SenderListKind.Block));
        Assert.Equal(SenderListKind.Block, Assert.Single(reader.For("alice@example.test")).Kind);
        Assert.True(lists.Remove("alice@example.test", "shop.test"));
        Assert.Empty(reader.Entries);
    }

    [Fact]
    public void A_file_damaged_while_running_keeps_the_last_good_lists()
    {
        var lists = Lists(SenderListEntry.Create("alice@example.test", "pushy.test", SenderListKind.Block));
        var reader = new SenderListFile(lists.Path);
        Assert.Single(reader.Entries);

        File.WriteAllText(lists.Path, "[{\"for\": \"alice@example.test\", \"sender\": "); // an editor's half-saved file

        Assert.Equal("pushy.test", Assert.Single(reader.For("alice@example.test")).Sender);
        Assert.Empty(new SenderListFile(lists.Path).Entries); // a reader that never saw a good file has none
    }

    private static async Task<IReadOnlyList<string>> AllowedAsync(SenderListFile lists, string envelopeFrom, AuthResult dmarc, SpfResult spf, string from = "News <news@shop.test>")
    {
        var raw = Encoding.ASCII.GetBytes($"From: {from}\r\nSubject: offers\r\n\r\nbody\r\n");
        var context = new MessageContext
        {
            SessionId = "t",
            Envelope = Envelope.Offline with { From = envelopeFrom, Recipients = ["alice@example.test"] },
            RawMessage = raw,
            Message = MimeMessage.Load(new MemoryStream(raw)),
        };
        context.Authentication.Dmarc = new DmarcOutcome(dmarc, "shop.test");
        context.Authentication.Spf = new SpfOutcome(spf, "shop.test");
        await new SenderAllowCheck(lists, authenticates: true).RunAsync(context, CancellationToken.None);
        return [.. context.Symbols.Select(symbol => symbol.Name)];
    }

    [Fact]
    public async Task An_allowed_domain_counts_only_when_dmarc_proves_the_author()
    {
        var lists = Lists(SenderListEntry.Create("alice@example.test", "shop.test", SenderListKind.Allow));

        Assert.Equal([SenderAllowCheck.Symbol], await AllowedAsync(lists, "bounce@shop.test", AuthResult.Pass, SpfResult.Pass));
        Assert.Empty(await AllowedAsync(lists, "news@shop.test", AuthResult.Fail, SpfResult.Pass)); // a forger of shop.test
        Assert.Empty(await AllowedAsync(lists, "news@shop.test", AuthResult.None, SpfResult.Pass)); // a domain needs DMARC, not the envelope
        Assert.Empty(await AllowedAsync(Lists(SenderListEntry.Create("bob@example.test", "shop.test", SenderListKind.Allow)), "bounce@shop.test", AuthResult.Pass, SpfResult.Pass)); // someone else's entry
    }

    [Fact]
    public async Task An_allowed_address_counts_with_dmarc_or_as_the_envelope_sender_that_spf_passes()
    {
        var lists = Lists(SenderListEntry.Create("*", "news@shop.test", SenderListKind.Allow));

        Assert.Equal([SenderAllowCheck.Symbol], await AllowedAsync(lists, "news@shop.test", AuthResult.None, SpfResult.Pass));
        Assert.Empty(await AllowedAsync(lists, "news@shop.test", AuthResult.None, SpfResult.SoftFail));
        Assert.Empty(await AllowedAsync(lists, "news@shop.test", AuthResult.Fail, SpfResult.Pass)); // DMARC failing: no allow at all
        Assert.Empty(await AllowedAsync(lists, "other@shop.test", AuthResult.None, SpfResult.Pass));
        Assert.Empty(await AllowedAsync(lists, "news@shop.test", AuthResult.None, SpfResult.Pass, from: "news@shop.test, boss@example.test")); // two authors
    }
}
