using Gateway.Core.Fuzzy;
using MimeKit;

namespace Gateway.Core.Tests.Fuzzy;

public sealed class FuzzyTests
{
    private const string Campaign = """
        Dear {0},

        Your package {1} could not be delivered because the customs fee of {2} USD was not paid.
        To arrange a new delivery date please confirm your address and pay the outstanding amount today.
        Track it here: https://parcel-track.example/t/{1}?u={3}&ref=mail
        If the fee is not paid within 48 hours the parcel will be returned to the sender.
        Thank you for choosing our delivery service.
        """;

    private static MimeMessage Mail(string text, byte[]? attachment = null)
    {
        var message = new MimeMessage { Subject = "Delivery notice" };
        message.From.Add(MailboxAddress.Parse("notice@parcel-track.example"));
        var body = new BodyBuilder { TextBody = text };
        if (attachment is not null)
        {
            body.Attachments.Add("label.pdf", attachment);
        }

        message.Body = body.ToMessageBody();
        return message;
    }

    private static FuzzyFingerprint Copy(string name, string parcel, string fee, string tracking) =>
        FuzzyFingerprint.Of(Mail(string.Format(System.Globalization.CultureInfo.InvariantCulture, Campaign, name, parcel, fee, tracking)));

    private static int Shared(FuzzyFingerprint a, FuzzyFingerprint b) => a.Shingles.Zip(b.Shingles).Count(pair => pair.First == pair.Second);

    [Fact]
    public void Copies_with_other_names_numbers_and_tracking_codes_share_most_min_hashes_and_other_mail_almost_none()
    {
        var first = Copy("Anna", "PX-20391", "2.99", "a8f7c6d5");
        var second = Copy("Mr. Robert Jones", "QQ-77812", "3.49", "zz0099aa");
        var other = FuzzyFingerprint.Of(Mail("Hi team, the release notes for version two are in the shared folder now. Please review the migration section before Thursday and add your comments inline; we ship on Monday if nobody objects."));

        Assert.Equal(FuzzyFingerprint.Slots, first.Shingles.Count);
        Assert.True(Shared(first, second) >= 24, $"{Shared(first, second)} of 32 shared");
        Assert.True(Shared(first, other) <= 2, $"{Shared(first, other)} of 32 shared with unrelated mail");
        Assert.Equal(first.Shingles, Copy("Anna", "PX-1", "9", "different").Shingles); // digits and query strings are not read at all
    }

    [Fact]
    public void A_few_words_give_no_text_fingerprint_and_attachments_are_hashed_by_their_bytes()
    {
        var pdf = new byte[2048];
        new Random(7).NextBytes(pdf);

        var shortOne = FuzzyFingerprint.Of(Mail("thanks, see you tomorrow"));
        var withLabel = FuzzyFingerprint.Of(Mail("thanks, see you tomorrow", pdf));

        Assert.True(shortOne.IsEmpty);
        Assert.Empty(withLabel.Shingles);
        Assert.Equal(FuzzyFingerprint.Of(Mail("other words", pdf)).Attachments, withLabel.Attachments);
    }

    [Fact]
    public async Task The_memory_store_matches_learned_copies_forgets_them_and_counts_bulk_within_its_window()
    {
        var time = new ManualClock();
        var store = new MemoryFuzzyStore(TimeSpan.FromDays(30), TimeSpan.FromHours(1), 10_000, time);
        var learned = Copy("Anna", "PX-20391", "2.99", "a8f7c6d5");
        await store.LearnAsync(learned, isSpam: true, CancellationToken.None);

        var copy = await store.LookupAsync(Copy("Bob", "QQ-1", "3", "x"), "t1", CancellationToken.None);
        await store.LookupAsync(Copy("Carol", "QQ-2", "4", "y"), "t2", CancellationToken.None);
        var third = await store.LookupAsync(Copy("Dave", "QQ-3", "5", "z"), "t3", CancellationToken.None);
        time.Advance(TimeSpan.FromHours(2));
        var later = await store.LookupAsync(Copy("Erin", "QQ-4", "6", "w"), "t4", CancellationToken.None);
        await store.ForgetAsync(learned, isSpam: true, CancellationToken.None);
        var forgotten = await store.LookupAsync(learned, "t5", CancellationToken.None);

        Assert.True(copy.SpamShare >= 0.75, $"{copy.SpamShare}");
        Assert.Equal(0, copy.HamShare);
        Assert.Equal(3, third.BulkSessions);
        Assert.Equal(1, later.BulkSessions); // the first three are older than the window
        Assert.Equal(0, forgotten.SpamShare);
    }

    [Fact]
    public async Task Site_learning_feeds_the_fuzzy_store_and_a_correction_takes_the_earlier_learning_back()
    {
        var options = new Gateway.Core.Configuration.LearningOptions();
        var fuzzy = new MemoryFuzzyStore(TimeSpan.FromDays(30), TimeSpan.FromHours(1), 10_000, TimeProvider.System);
        var learner = new Gateway.Core.Learning.SiteLearner(new Gateway.Core.Learning.MemorySiteTokenStore(), options, TimeProvider.System, fuzzy);
        var message = Mail(string.Format(System.Globalization.CultureInfo.InvariantCulture, Campaign, "Anna", "PX-1", "2.99", "a"));
        var raw = new MemoryStream();
        message.WriteTo(raw);

        Assert.Equal(Gateway.Core.Learning.LearnOutcome.Learned, await learner.LearnAsync(message, raw.ToArray(), isSpam: true, "cli", "parcel-track.example", null, CancellationToken.None));
        var learned = await fuzzy.LookupAsync(Copy("Bob", "QQ-2", "3", "b"), "t1", CancellationToken.None);
        Assert.Equal(Gateway.Core.Learning.LearnOutcome.Conflict, await learner.LearnAsync(message, raw.ToArray(), isSpam: false, "console", "parcel-track.example", null, CancellationToken.None));
        var corrected = await fuzzy.LookupAsync(Copy("Bob", "QQ-2", "3", "b"), "t2", CancellationToken.None);

        Assert.True(learned.SpamShare >= 0.75);
        Assert.Equal(0, corrected.SpamShare);
        Assert.Equal(0, corrected.HamShare); // a conflict teaches neither class
    }
}
