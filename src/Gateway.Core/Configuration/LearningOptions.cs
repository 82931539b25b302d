namespace Gateway.Core.Configuration;

/// <summary>
/// Site learning (gateway.yaml <c>learning:</c>): the site's own token statistics, learned from its users'
/// labels and kept in the state store (memory for one gateway, Redis for all), scored as SITE_SPAM /
/// SITE_HAM beside the shipped classifier. Contributes nothing until enough of both classes is learned.
/// </summary>
public sealed record LearningOptions
{
    public bool Enabled { get; init; } = true;

    /// <summary>Learned spam messages needed before site evidence counts (SpamAssassin's bayes_min_spam_num is 200).</summary>
    public int MinSpam { get; init; } = 50;

    /// <summary>Learned ham messages needed before site evidence counts.</summary>
    public int MinHam { get; init; } = 50;

    /// <summary>Tokens kept at most; beyond it the least recently learned go.</summary>
    public long MaxTokens { get; init; } = 2_000_000;

    /// <summary>A token (and what a message taught) not learned again within this long is forgotten.</summary>
    public TimeSpan TokenTtl { get; init; } = TimeSpan.FromDays(180);

    /// <summary>Messages one authenticated sender domain may teach per class and day (0 = no cap): one sender cannot flood the model.</summary>
    public int MaxPerSenderDomainPerDay { get; init; } = 20;

    /// <summary>Messages one source (a mailbox, the CLI, the quarantine, autolearn) may teach per day (0 = no cap).</summary>
    public int MaxPerSourcePerDay { get; init; } = 500;

    /// <summary>
    /// With Redis, token counts fetched are reused for this long (0 = always ask): what another instance
    /// learns shows here within it; what this one learns, at once.
    /// </summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Site probabilities between ham_cutoff and spam_cutoff are "unsure" (SITE_UNSURE) and score nothing (SpamBayes'
    /// defaults, 0.20 and 0.90): Fisher's method puts a message whose tokens point both ways in the middle,
    /// and a site that has learned little of some kind of mail (commercial mail at a site of mailing lists)
    /// lands it there. Above spam_cutoff SITE_SPAM rises from 0 to its full weight at p = 1; below
    /// ham_cutoff SITE_HAM does the same towards p = 0.
    /// </summary>
    public double SpamCutoff { get; init; } = 0.9;

    /// <summary>See <see cref="SpamCutoff"/>.</summary>
    public double HamCutoff { get; init; } = 0.2;

    /// <summary>
    /// SITE_SENDER_HAM: a From domain DMARC proved (<see cref="Learning.SenderIdentity.AlignedOf(Pipeline.MessageContext)"/>)
    /// learned as ham at least this many times and never as spam: the site's own suppliers and newsletters.
    /// Forged senders never get it, nor a bulk provider's unaligned DKIM signature.
    /// </summary>
    public int SenderMinHam { get; init; } = 3;

    /// <summary>
    /// The site's secret (relative to the config file; created, mode 0600, on first start; the same file
    /// for every instance): `gateway learn` proves itself to /learn with a key derived from it, and the
    /// Authentication-Results we stamp are sealed with another, so learning trusts only results we wrote.
    /// </summary>
    public string SecretFile { get; init; } = "data/learning.secret";

    public string SecretPath(string baseFolder) => Path.GetFullPath(SecretFile, baseFolder);

    public AutolearnOptions Autolearn { get; init; } = new();

    /// <summary>Mailboxes <c>gateway learn --imap</c> collects users' labels from (Junk = spam, read inbox mail = ham).</summary>
    public List<ImapMailboxOptions> Imap { get; init; } = [];

    internal void Validate(ConfigErrors errors)
    {
        errors.Require(MinSpam >= 1, "learning.min_spam", "must be 1 or more");
        errors.Require(MinHam >= 1, "learning.min_ham", "must be 1 or more");
        errors.Require(MaxTokens >= 1000, "learning.max_tokens", "must be 1000 or more");
        errors.Require(TokenTtl >= TimeSpan.FromDays(1), "learning.token_ttl", "must be at least 1d");
        errors.Require(MaxPerSenderDomainPerDay >= 0, "learning.max_per_sender_domain_per_day", "must be 0 (no cap) or more");
        errors.Require(MaxPerSourcePerDay >= 0, "learning.max_per_source_per_day", "must be 0 (no cap) or more");
        errors.Require(SpamCutoff is >= 0.5 and < 1.0, "learning.spam_cutoff", "must be from 0.5 up to (not including) 1");
        errors.Require(HamCutoff is > 0.0 and <= 0.5, "learning.ham_cutoff", "must be above 0 and at most 0.5");
        errors.Require(SenderMinHam >= 1, "learning.sender_min_ham", "must be 1 or more");
        errors.Require(!Enabled || SecretFile.Length > 0, "learning.secret_file", "is required while learning is on (a path; the gateway creates the file)");
        errors.Require(CacheTtl >= TimeSpan.Zero, "learning.cache_ttl", "must be 0 (no cache) or more");
        errors.Require(Autolearn.MaxPerHour >= 1, "learning.autolearn.max_per_hour", "must be 1 or more");
        for (var i = 0; i < Imap.Count; i++)
        {
            var mailbox = Imap[i];
            errors.Require(Uri.TryCreate(mailbox.Server, UriKind.Absolute, out var server) && server.Scheme is "imap" or "imaps", $"learning.imap.{i}.server", "needs imaps://HOST[:PORT] (or imap:// for STARTTLS)");
            errors.Require(mailbox.User.Length > 0, $"learning.imap.{i}.user", "is required");
            errors.Require(mailbox.PasswordFile.Length > 0, $"learning.imap.{i}.password_file", "is required (the password never sits in gateway.yaml)");
        }
    }
}

/// <summary>
/// Learning from the gateway's own verdicts where independent evidence is strong: ham when DMARC passed
/// and a DNS allow list vouches for the client, spam when rules or DNS lists (not the classifiers)
/// rejected it. Off by default: a site's users are better teachers than its own verdicts.
/// </summary>
public sealed record AutolearnOptions
{
    public bool Enabled { get; init; }

    /// <summary>Messages learned this way per hour at most, per class.</summary>
    public int MaxPerHour { get; init; } = 100;
}

/// <summary>One mailbox whose users' labels <c>gateway learn --imap</c> collects.</summary>
public sealed record ImapMailboxOptions
{
    /// <summary>imaps://HOST[:PORT], or imap:// for STARTTLS.</summary>
    public string Server { get; init; } = string.Empty;

    public string User { get; init; } = string.Empty;

    /// <summary>A file holding only the password (relative to the config file).</summary>
    public string PasswordFile { get; init; } = string.Empty;

    public string Junk { get; init; } = "Junk";

    public string Inbox { get; init; } = "INBOX";

    /// <summary>Only mail delivered within this many days is read (null: all).</summary>
    public int? SinceDays { get; init; } = 30;
}
