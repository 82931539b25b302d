using Gateway.Core.Pipeline;
using MimeKit;

namespace Gateway.Core.Tests.Pipeline;

/// <summary>A stage's per-message value: computed once whoever asks, retried after a cancelled computation, let go with the parse where it holds decoded content.</summary>
public sealed class MessageSlotTests
{
    private static MessageContext Context() => new()
    {
        SessionId = "t",
        Envelope = Envelope.Offline,
        RawMessage = "Subject: x\r\n\r\nbody\r\n"u8.ToArray(),
        Message = MimeMessage.Load(new MemoryStream("Subject: x\r\n\r\nbody\r\n"u8.ToArray())),
    };

    [Fact]
    public async Task Parallel_askers_share_one_computation()
    {
        var computed = 0;
        var slot = new MessageSlot<string>((context, _) =>
        {
            Interlocked.Increment(ref computed);
            Thread.Sleep(20);
            return context.Message.Subject ?? string.Empty;
        });
        var context = Context();

        var values = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => context.Computed(slot))));

        Assert.All(values, value => Assert.Equal("x", value));
        Assert.Equal(1, computed);
    }

    [Fact]
    public void A_cancelled_computation_leaves_the_slot_for_the_next_asker_and_release_drops_only_decoded_content()
    {
        var decoded = new MessageSlot<string>((context, _) => "decoded " + context.Message.Subject, dropsWithParse: true);
        var kept = new MessageSlot<string>((context, token) =>
        {
            token.ThrowIfCancellationRequested();
            return "kept " + context.Message.Subject;
        });
        var set = new MessageSlot<string>();
        var context = Context();

        Assert.Throws<OperationCanceledException>(() => context.Computed(kept, new CancellationToken(canceled: true)));
        Assert.Equal("kept x", context.Computed(kept));
        Assert.Equal("decoded x", context.Computed(decoded));
        Assert.Null(context.Get(set));
        context.Set(set, "result");
        context.ReleaseParsedMessage();

        Assert.Equal("kept x", context.Computed(kept));
        Assert.Equal("decoded ", context.Computed(decoded)); // computed again, from the released (empty) message
        Assert.Equal("result", context.Get(set));
        Assert.Throws<InvalidOperationException>(() => context.Computed(new MessageSlot<string>())); // a slot its stage sets cannot be computed
    }
}
