using System.Buffers;
using Gateway.Core.Pipeline;
using Gateway.Core.Quarantine;
using Gateway.Core.Scoring;
using MimeKit;

namespace Gateway.Core.Tests.Quarantine;

public sealed class QuarantineStoreTests
{
    private static async Task<QuarantineEntry> HoldAsync(QuarantineStore store, string subject = "held")
    {
        var raw = Encoding.ASCII.GetBytes($"From: a@sender.test\r\nSubject: {subject}\r\n\r\nbody\r\n");
        var context = new MessageContext
        {
            SessionId = "t",
            Envelope = new Envelope(IPAddress.Parse("192.0.2.1"), "helo.test", "a@sender.test", ["user@example.test"]),
            RawMessage = raw,
            Message = MimeMessage.Load(new MemoryStream(raw)),
        };
        var verdict = new Verdict(VerdictAction.Quarantine, 7.5, [new ScoredSymbol("SOMETHING", 7.5, null)]);
        return await store.AddAsync(context, verdict, new ReadOnlySequence<byte>(raw), CancellationToken.None);
    }

    [Fact]
    public async Task Held_messages_list_with_their_envelope_and_verdict_and_expire_after_the_retention()
    {
        var clock = new ManualClock();
        var store = new QuarantineStore(Directory.CreateTempSubdirectory("quarantine-").FullName, clock);
        var old = await HoldAsync(store, "old");
        clock.Advance(TimeSpan.FromDays(20));
        var recent = await HoldAsync(store, "recent");

        var listed = store.List();
        clock.Advance(TimeSpan.FromDays(15)); // old is 35 days old now, recent 15
        var expired = store.Expire(TimeSpan.FromDays(30));

        Assert.Equal([old.Id, recent.Id], listed.Select(entry => entry.Id));
        Assert.Equal(["user@example.test"], listed[0].Recipients);
        Assert.Equal("a@sender.test", listed[0].MailFrom);
        Assert.Equal("SOMETHING", Assert.Single(listed[0].Symbols).Name);
        Assert.Equal(1, expired);
        Assert.Equal(recent.Id, Assert.Single(store.List()).Id);
        Assert.Null(store.ReadMessage(old.Id));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("")]
    [InlineData("nonexistent-id")]
    public void Unknown_or_path_like_ids_find_nothing(string id)
    {
        var store = new QuarantineStore(Directory.CreateTempSubdirectory("quarantine-").FullName, TimeProvider.System);

        Assert.Null(store.Find(id));
        Assert.False(store.Delete(id));
        Assert.Null(store.ReadMessage(id));
    }

    [Fact]
    public void A_score_between_the_quarantine_and_reject_thresholds_is_held()
    {
        var policy = new ScoringPolicy(new ActionsFile { Actions = new() { Tag = 5, Quarantine = 8, Reject = 12 } }, new SymbolsFile { Symbols = { ["X"] = new SymbolDefinition { Weight = 1 } } });

        VerdictAction Action(double factor) => ScoreCalculator.Decide([new SymbolHit("X", factor)], policy).Action;

        Assert.Equal(VerdictAction.Tag, Action(6));
        Assert.Equal(VerdictAction.Quarantine, Action(9));
        Assert.Equal(VerdictAction.Reject, Action(13));
    }

    [Fact]
    public void A_recipients_group_is_its_address_first_then_its_domain_then_default()
    {
        var actions = new ActionsFile
        {
            Groups =
            [
                new PolicyGroup { Name = "board", Recipients = ["board.example.test"], Reject = 5 },
                new PolicyGroup { Name = "ceo", Recipients = ["ceo@board.example.test"], Tag = 2 },
            ],
        };
        var policy = new ScoringPolicy(actions, new SymbolsFile());

        Assert.Equal("ceo", policy.GroupOf("CEO@board.example.test"));
        Assert.Equal("board", policy.GroupOf("anyone@board.example.test"));
        Assert.Equal(PolicyGroup.Default, policy.GroupOf("user@example.test"));
        Assert.Equal(5, policy.ThresholdsFor("board").Reject);
        Assert.Equal(actions.Actions.Tag, policy.ThresholdsFor("board").Tag);
    }
}
