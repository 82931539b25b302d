namespace Gateway.Cli;

/// <summary>
/// <c>gateway help [COMMAND]</c> and <c>gateway COMMAND --help</c>: each command's options and an example.
/// One table, so a new option is documented where the command's usage is.
/// </summary>
internal static class Help
{
    private static readonly Dictionary<string, string> Commands = new(StringComparer.Ordinal)
    {
        ["run"] = """
            gateway run [--config FILE] [--offline]
              Runs the gateway: SMTP on listen:, metrics on metrics.listen, until SIGTERM (drains first).
              --config FILE   gateway.yaml to use (default: the built-in one, delivering into ./data/delivered)
              --offline       no DNS at all: SPF, DKIM, DMARC, ARC, DNS lists and reverse DNS are left out
            example: gateway run --config /etc/gateway/gateway.yaml
            """,
        ["check"] = """
            gateway check [--config FILE] [--ip A] [--helo N] [--from ADDR] [--rcpt ADDR] [--offline] [--json] [--explain always|spam] PATH...
              The full pipeline on files (.eml, directories, mbox), without SMTP: one line per message,
              a report per message with --explain (each symbol, its score and description, the classifier's
              features; like spamassassin -t), or one JSON object per line with --json.
            example: gateway check --offline --explain always message.eml
            """,
        ["config"] = """
            gateway config check [--config FILE] [--connect]
              Checks gateway.yaml and everything it names (policy folder, rules, lists, model, TLS certificate,
              IMAP password files); with --connect also the downstream (220), Redis (PONG) and clamd (PONG).
              Prints OK or every problem with file:line:col; exit 0 or 1 (like rspamadm configtest).
            example: gateway config check --config /etc/gateway/gateway.yaml --connect
            """,
        ["rules"] = """
            gateway rules check [DIR] | gateway rules test [DIR]
            gateway rules fit --ham NAME=PATH[:BUDGET%] ... --spam [NAME=]PATH ... [--rules DIR] [--config FILE]
                              [--log FILE] [--rescan] [--folds N] [--min-hits N] [--out FILE] [--curve NAME]
              check: loads the policy folder (default ./rules) and reports every problem as file:line:col.
              test:  runs the folder's test cases (DIR/tests/*.yaml) offline.
              fit:   scans labelled mail (directories, Maildir, mbox) offline, saves the mass-check log (default
                     ./masscheck.jsonl, reused while sources, rules, model and config are unchanged), and fits the
                     symbol weights and the classifier's map from probability to points so that, at the tag
                     threshold, each ham source stays within its budget (default 0.1 %) and the most spam is
                     caught. Prints per source what is flagged now and after the fit, measured on folds the fit
                     did not see (--folds, default 5), then writes DIR/weights.yaml. Weights keep their sign and
                     stay within twice their hand-set value; forced actions, group caps and symbols seen on fewer
                     than --min-hits (5) messages are not changed. Exit 1 when a budget cannot be met.
                     --curve NAME: no file; the figures at half to five times NAME's budget, to choose one.
            example: gateway rules test rules
            example: gateway rules fit --ham invoices=mail/ham/invoices:2% --ham lists=mail/ham/lists:0.1% --spam mail/spam
            """,
        ["replay"] = """
            gateway replay --corpus DIR [--labels ham=DIR,spam=DIR] --rules NEWDIR [--config FILE]
              What a candidate policy would change: every message scanned with the current and the new policy.
            example: gateway replay --labels ham=mail/ham,spam=mail/spam --rules rules-next
            """,
        ["train"] = """
            gateway train --ham DIR --spam DIR [--learned DIR] [--out models/spam.zip] [--min-per-class N] [--force]
              Trains the shipped classifier (minutes; progress is printed). --ham, --spam and --learned repeat.
              A model worse than the current one on the same hold-out is not saved unless --force.
            example: gateway train --ham ../shared/corpus/ham --spam ../shared/corpus/spam --out models/spam.zip
            """,
        ["learn"] = """
            gateway learn spam|ham [--source NAME] [--no-caps] [--config FILE] PATH...
            gateway learn imap [--config FILE]
            gateway learn --imap imaps://HOST --user U [--password-file F] [--junk Junk] [--inbox INBOX] [--since-days N] [--store DIR]
            gateway learn stats [--json] | gateway learn forget --source NAME | --domain NAME
            gateway learn forget --fuzzy spam|ham PATH...
              Site learning (README: "Teach it your mail"): into Redis directly, or through the running
              gateway's metrics listener with the memory store. With fuzzy: on, what is learned leaves fuzzy
              hashes too; forget --fuzzy takes those of the given messages back.
            example: gateway learn spam --source postmaster ~/Maildir/.Junk/cur
            """,
        ["quarantine"] = """
            gateway quarantine list [--json] | show ID | release ID... [--no-learn] | delete ID [--spam] | expire | digest [--since-hours N]   [--config FILE]
              Held messages: release relays with the original envelope (and learns it as ham), delete --spam
              learns it as spam, digest mails each recipient what was held for them.
            example: gateway quarantine release 20261202T101500Z-3f2a
            """,
        ["history"] = """
            gateway history [--from ADDR] [--to ADDR] [--message-id ID] [--since 2h|TIME] [--until TIME] [--limit N] [--json] [--config FILE]
              Where is my mail: every verdict and every refused sender or recipient, newest first, from the
              journals in history.directory (all instances' on a shared volume). Addresses match by their text,
              so --to example.com finds a whole domain.
            example: gateway history --to alice@example.com --since 1d
            """,
        ["lists"] = """
            gateway lists allow|block SENDER [--for RECIPIENT|DOMAIN|*] | remove SENDER [--for ...] | show [--for RECIPIENT]   [--config FILE]
              Sender allow and block lists (sender_lists.file), for everyone (*, the default), one of our domains or
              one recipient. A block refuses that recipient at RCPT (550 5.7.1); an allow takes 20 points off when
              DMARC proves the author (or SPF the envelope sender, for an address), never past a forced reject.
            example: gateway lists allow billing@supplier.example --for alice@example.com
            """,
        ["web"] = """
            gateway web user add NAME [--config FILE]
              Adds a web console administrator (or sets a new password), read from stdin: one line, at least
              12 characters. Stored as a salted PBKDF2 hash in web.users_file.
            example: echo 'correct horse battery staple' | gateway web user add admin --config /etc/gateway/gateway.yaml
            """,
    };

    public static string Overview => """
        usage: gateway COMMAND [OPTIONS]   (gateway help COMMAND, or gateway COMMAND --help, for one)

          run          run the gateway
          check        scan files with the full pipeline
          config       check gateway.yaml and everything it names (config check)
          rules        check or test a policy folder
          replay       compare a candidate policy on a corpus
          train        train the spam classifier
          learn        site learning: teach it spam and ham, stats, forget
          quarantine   list, show, release, delete held messages
          history      where is my mail: verdicts and refusals, searchable
          lists        sender allow and block lists
          web          web console accounts
          --version    print the version

        Without --config the built-in default gateway.yaml is used (delivery into ./data/delivered).
        """;

    /// <summary>The help of one command; null when there is no such command.</summary>
    public static string? Of(string command) => Commands.GetValueOrDefault(command);

    public static bool Asked(IReadOnlyList<string> args) => args.Skip(1).Any(arg => arg is "--help" or "-h");
}
