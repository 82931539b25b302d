using Gateway.Core.Learning;

namespace Gateway.Core.Tests.Learning;

public sealed class TrainingStoreTests
{
    private static byte[] Message(string from, string subject) => Encoding.ASCII.GetBytes($"From: {from}\r\nSubject: {subject}\r\n\r\nbody\r\n");

    [Fact]
    public void A_message_moved_out_of_junk_is_relabelled_and_the_cap_counts_per_sender_and_label()
    {
        var folder = Directory.CreateTempSubdirectory("learning-").FullName;
        var store = new TrainingStore(folder, maxPerSender: 1);
        var first = Message("a@x.test", "one");

        Assert.Equal(LearnResult.Added, store.Add(first, isSpam: true));
        Assert.Equal(LearnResult.Capped, store.Add(Message("A@X.test", "two"), isSpam: true));
        Assert.Equal(LearnResult.Duplicate, store.Add(first, isSpam: true));
        Assert.Equal(LearnResult.Relabelled, store.Add(first, isSpam: false));
        Assert.Equal(LearnResult.Added, store.Add(Message("a@x.test", "two"), isSpam: true)); // its spam slot is free again
        Assert.Equal((1, 1), (store.CountOf(isSpam: false), store.CountOf(isSpam: true)));

        // The counts survive a restart: they are rebuilt from the files.
        Assert.Equal(LearnResult.Capped, new TrainingStore(folder, maxPerSender: 1).Add(Message("a@x.test", "three"), isSpam: true));
    }
}
