using Gateway.Core.History;

namespace Gateway.Core.Tests.History;

public sealed class HistoryJournalTests
{
    private static HistoryEntry Entry(int n, string to = "user@example.test") =>
        new(new DateTimeOffset(2026, 12, 7, 10, 0, n, TimeSpan.Zero), "data", "accept", "192.0.2.1", "mx.remote.test", $"sender{n}@remote.test", [to], "250 2.0.0 Ok") { MessageId = $"<m{n}@remote.test>" };

    [Fact]
    public void The_journal_stays_bounded_and_keeps_at_least_the_last_half()
    {
        var folder = Directory.CreateTempSubdirectory("journal-").FullName;
        using (var journal = new HistoryJournal(folder, size: 10, "gw-2525"))
        {
            for (var n = 0; n < 23; n++)
            {
                journal.Add(Entry(n));
            }
        }

        var found = HistorySearch.Find(folder, new HistoryQuery(Limit: 100));

        Assert.Equal([22, 21, 20, 19, 18, 17, 16, 15], found.Select(entry => entry.Time.Second));
        Assert.Equal(2, Directory.GetFiles(folder).Length);
    }

    [Fact]
    public void A_restarted_instance_goes_on_counting_and_a_damaged_line_is_skipped()
    {
        var folder = Directory.CreateTempSubdirectory("journal-").FullName;
        using (var journal = new HistoryJournal(folder, size: 10, "gw-2525"))
        {
            journal.Add(Entry(1));
            journal.Add(Entry(2));
        }

        File.AppendAllText(Path.Combine(folder, "gw-2525.jsonl"), "{\"time\": \"not a ti\n");
        using (var journal = new HistoryJournal(folder, size: 10, "gw-2525"))
        {
            journal.Add(Entry(3));
            journal.Add(Entry(4));
            journal.Add(Entry(5)); // the sixth line of this file (one damaged): it moves to .1 before this one
        }

        Assert.Equal([5, 4, 3, 2, 1], HistorySearch.Find(folder, new HistoryQuery(Limit: 100)).Select(entry => entry.Time.Second));
        Assert.Single(File.ReadAllLines(Path.Combine(folder, "gw-2525.jsonl")));
    }

    [Fact]
    public void Every_part_of_a_query_must_match()
    {
        var folder = Directory.CreateTempSubdirectory("journal-").FullName;
        using (var journal = new HistoryJournal(folder, size: 100, "gw-2525"))
        {
            journal.Add(Entry(1, "alice@example.test"));
            journal.Add(Entry(2, "bob@example.test"));
            journal.Add(Entry(3, "alice@other.test"));
        }

        Assert.Equal([3, 1], HistorySearch.Find(folder, new HistoryQuery(To: "ALICE@")).Select(entry => entry.Time.Second));
        Assert.Equal([1], HistorySearch.Find(folder, new HistoryQuery(To: "alice@", Until: new DateTimeOffset(2026, 12, 7, 10, 0, 2, TimeSpan.Zero))).Select(entry => entry.Time.Second));
        Assert.Equal([2], HistorySearch.Find(folder, new HistoryQuery(MessageId: "m2@remote.test")).Select(entry => entry.Time.Second));
        Assert.Empty(HistorySearch.Find(Path.Combine(folder, "missing"), new HistoryQuery()));
    }
}
