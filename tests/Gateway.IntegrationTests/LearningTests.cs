using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Gateway.IntegrationTests;

/// <summary>Learning from users' Junk and Inbox on a real Dovecot, and the guards of training.</summary>
public sealed class LearningTests
{
    private static MimeMessage Message(string from, string subject)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse("alice@example.test"));
        message.Subject = subject;
        message.MessageId = $"{Guid.NewGuid():N}@test";
        message.Body = new TextPart("plain") { Text = $"{subject}\n" };
        return message;
    }

    private static async Task<(int ExitCode, string Output, string Error)> LearnAsync(DovecotServer dovecot, string store, string config)
    {
        var password = Path.Combine(Directory.CreateTempSubdirectory("imap-password-").FullName, "password");
        File.WriteAllText(password, DovecotServer.Password + "\n");
        return await GatewayCli.RunAsync("learn", "--config", config, "--imap", dovecot.Uri.ToString(), "--user", DovecotServer.User, "--password-file", password,
            "--junk", "Junk", "--inbox", "INBOX", "--store", store, "--max-per-sender", "2");
    }

    [Fact(Timeout = 120_000)]
    public async Task Junk_becomes_spam_read_or_not_junk_inbox_mail_becomes_ham_once_and_one_sender_is_capped()
    {
        await using var dovecot = await DovecotServer.StartAsync();
        using (var imap = new ImapClient())
        {
            await imap.ConnectAsync("127.0.0.1", dovecot.Port, SecureSocketOptions.None);
            await imap.AuthenticateAsync(DovecotServer.User, DovecotServer.Password);
            var junk = await imap.GetFolderAsync("Junk");
            foreach (var subject in new[] { "cheap pills 1", "cheap pills 2", "cheap pills 3" })
            {
                await junk.AppendAsync(new AppendRequest(Message("pills@spammer.test", subject), MessageFlags.None));
            }

            await junk.AppendAsync(new AppendRequest(Message("lottery@other.test", "you won"), MessageFlags.Seen));

            // A mailbox takes mail that never passed the gateway: one bigger than limits.max_message_size is not downloaded.
            var huge = Message("huge@elsewhere.test", "huge");
            huge.Body = new TextPart("plain") { Text = new string('x', 300_000) };
            await junk.AppendAsync(new AppendRequest(huge, MessageFlags.None));
            await imap.Inbox.AppendAsync(new AppendRequest(Message("colleague@work.test", "minutes of the meeting"), MessageFlags.Seen));
            await imap.Inbox.AppendAsync(new AppendRequest(Message("newsletter@shop.test", "rescued from junk"), MessageFlags.None, ["$NotJunk"]));
            await imap.Inbox.AppendAsync(new AppendRequest(Message("friend@home.test", "not read yet"), MessageFlags.None));
            await imap.DisconnectAsync(true);
        }

        await using var redis = await RedisServer.StartAsync();
        var config = Path.Combine(Directory.CreateTempSubdirectory("learn-config-").FullName, "gateway.yaml");
        File.WriteAllText(config, $"hostname: gateway.example.test\ndomains: [example.test]\nrules: {RepositoryRoot.Rules}\nstate: {{backend: redis, redis: \"{redis.EndPoint}\"}}\nlearning: {{max_per_sender_domain_per_day: 2}}\nlimits: {{max_message_size: 200000}}\n");
        var store = Directory.CreateTempSubdirectory("learning-").FullName;

        var (first, output, error) = await LearnAsync(dovecot, store, config);
        var (second, again, _) = await LearnAsync(dovecot, store, config);
        var stats = await GatewayCli.RunAsync("learn", "stats", "--config", config);

        Assert.True(first == 0, output + error);
        // Three from one unauthenticated sender domain: the site model takes two a day, the files for a full retrain two per From address.
        Assert.Contains($"imap:{DovecotServer.User}@127.0.0.1 spam (from Junk): 3 learned, 0 duplicate, 0 conflict, 1 sender_capped", output, StringComparison.Ordinal);
        Assert.Contains("ham (read or marked not junk in INBOX): 2 learned", output, StringComparison.Ordinal);
        Assert.Contains("source_capped, 1 too_large", output, StringComparison.Ordinal);
        Assert.Contains("learned: 3 spam, 2 ham", stats.Output, StringComparison.Ordinal);
        Assert.Matches(@"5\s+imap:", stats.Output);
        Assert.Equal(3, Directory.GetFiles(Path.Combine(store, "spam")).Length);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(store, "ham")).Length);
        Assert.Equal(0, second);
        Assert.Contains("spam (from Junk): 0 learned, 3 duplicate", again, StringComparison.Ordinal);
    }

    [Fact(Timeout = 120_000)]
    public async Task Training_needs_enough_examples_of_each_class()
    {
        // Ten messages of each class, fewer than the default --min-per-class (50).
        var few = Directory.CreateTempSubdirectory("few-").FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Rules, "tests", "messages")).Order(StringComparer.Ordinal).Take(10))
        {
            File.Copy(file, Path.Combine(few, Path.GetFileName(file)));
        }

        var (exitCode, _, error) = await GatewayCli.RunAsync("train", "--ham", few, "--spam", few,
            "--out", Path.Combine(Directory.CreateTempSubdirectory("model-").FullName, "spam.zip"));

        Assert.Equal(2, exitCode);
        Assert.Contains("too few examples to train on", error, StringComparison.Ordinal);
    }

    [SkippableFact(Timeout = 300_000)]
    public async Task A_new_model_worse_than_the_current_one_on_the_same_hold_out_is_not_saved_unless_forced()
    {
        SharedData.Require("corpus/ham/easy_ham", "corpus/spam/spam_2");
        var slices = Directory.CreateTempSubdirectory("slices-").FullName;
        foreach (var (label, source) in new[] { ("ham", "ham/easy_ham"), ("spam", "spam/spam_2") })
        {
            Directory.CreateDirectory(Path.Combine(slices, label));
            foreach (var file in Directory.GetFiles(Path.Combine(RepositoryRoot.Shared, "corpus", source)).Order(StringComparer.Ordinal).Take(60))
            {
                File.Copy(file, Path.Combine(slices, label, Path.GetFileName(file)));
            }
        }

        // Thirty spam messages filed as ham, named so that the split keeps them out of the hold-out
        // (it holds out the first fifth by hash of "ham/NAME"; these hash into the last eighth): the new
        // model learns from noisy labels and is measured on clean ones, where the shipped model is better.
        var mislabelled = Directory.GetFiles(Path.Combine(RepositoryRoot.Shared, "corpus", "spam", "spam_2")).Order(StringComparer.Ordinal).Skip(100)
            .Where(file => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("ham/zz-" + Path.GetFileName(file))))[0] is 'E' or 'F')
            .Take(30);
        foreach (var file in mislabelled)
        {
            File.Copy(file, Path.Combine(slices, "ham", "zz-" + Path.GetFileName(file)));
        }

        // The shipped model, trained on the whole corpus, against one trained on those 90 + 60 messages.
        var models = Directory.CreateTempSubdirectory("models-").FullName;
        var current = Path.Combine(models, "spam.zip");
        File.Copy(Path.Combine(RepositoryRoot.Path, "models", "spam.zip"), current);
        var before = File.ReadAllBytes(current);

        var (refused, output, _) = await GatewayCli.RunAsync("train", "--learned", slices, "--out", current, "--min-per-class", "50");
        var unchanged = File.ReadAllBytes(current).SequenceEqual(before);
        var (forced, forcedOutput, forcedError) = await GatewayCli.RunAsync("train", "--learned", slices, "--out", current, "--min-per-class", "50", "--force");

        Assert.Equal(1, refused);
        Assert.Contains("the new model is worse on the same hold-out", output, StringComparison.Ordinal);
        Assert.Contains("trees built: 100/200, about ", output, StringComparison.Ordinal); // progress, not minutes of silence
        Assert.Contains("trees built: 200/200", output, StringComparison.Ordinal);
        Assert.True(unchanged);
        Assert.True(forced == 0, forcedOutput + forcedError);
        Assert.False(File.ReadAllBytes(current).SequenceEqual(before));
        var kept = Assert.Single(Directory.GetFiles(Path.Combine(models, "previous")));
        Assert.True(File.ReadAllBytes(kept).SequenceEqual(before));
    }
}
