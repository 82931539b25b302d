using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Gateway.Core.History;
using Gateway.Core.Quarantine;

namespace Gateway.Web;

/// <summary>
/// The console's pages, rendered on the server as plain HTML: no script at all (the CSP forbids it), forms with
/// their antiforgery token, and every value from mail HTML-encoded. A message's body is shown as text only (an
/// HTML part as the text a reader sees), so nothing a sender wrote can be active in the console's origin.
/// </summary>
internal static class ConsolePages
{
    public const string Css = """
        body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1f24; }
        header { background: #1b1f24; color: #fff; padding: .6em 1em; display: flex; gap: 1.5em; align-items: center; }
        header a { color: #fff; } header form { margin-left: auto; }
        main { padding: 1em; } table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .3em .5em; border-bottom: 1px solid #ddd; vertical-align: top; }
        pre { white-space: pre-wrap; background: #f6f8fa; padding: .8em; max-height: 40em; overflow: auto; }
        iframe { width: 100%; height: 30em; border: 1px solid #ddd; }
        .error { color: #b00020; } .actions form { display: inline; } input, button { font: inherit; }
        """;

    private static string E(string? text) => HtmlEncoder.Default.Encode(text ?? string.Empty);

    private static string Token(string token) => $"""<input type="hidden" name="__token" value="{E(token)}">""";

    /// <param name="admin">An administrator's navigation; otherwise a recipient's (their own held mail only).</param>
    public static string Layout(string title, string body, string? user, bool admin, string token) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>{E(title)} - Gateway</title><link rel="stylesheet" href="/console.css"></head>
        <body><header><strong>Gateway</strong>{(user is null ? string.Empty : $"""
        {(admin ? """<a href="/quarantine">Quarantine</a><a href="/history">History</a><a href="/lists">Sender lists</a><a href="/scan">Scan</a>""" : """<a href="/mine">My held mail</a>""")}
        <form method="post" action="/logout">{Token(token)}<span>{E(user)}</span> <button>Sign out</button></form>
        """)}</header><main><h1>{E(title)}</h1>{body}</main></body></html>
        """;

    public static string LinkForm(string token) => $"""
        <p>Mail held for you is listed in the digest you receive. To get a link now, give your address: if mail is held for it, the link goes there.</p>
        <form method="post" action="/link">{Token(token)}<p><label>Your address <input name="address" type="email" required></label> <button>Send me a link</button></p></form>
        """;

    /// <param name="singleSignOn">The provider's name when web.oidc is on: a "Sign in with ..." link above the form.</param>
    public static string Login(string token, string? error, string? singleSignOn = null) => $"""
        {(error is null ? string.Empty : $"<p class=\"error\">{E(error)}</p>")}
        {(singleSignOn is null ? string.Empty : $"<p><a class=\"button\" href=\"/login/sso\">Sign in with {E(singleSignOn)}</a></p>")}
        <form method="post" action="/login">{Token(token)}
        <p><label>User <input name="user" autocomplete="username" required></label></p>
        <p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
        <p><button>Sign in</button></p></form>
        <p><a href="/link">Not an administrator? Get a link to your own held mail.</a></p>
        """;

    /// <param name="basePath">/quarantine for administrators, /mine for a recipient.</param>
    /// <param name="bulkToken">An administrator's antiforgery token: rows get check boxes and the list bulk actions; null for a recipient.</param>
    public static string QuarantineList(IReadOnlyList<QuarantineEntry> entries, QuarantineFilter filter, string basePath = "/quarantine", string? bulkToken = null)
    {
        var rows = new StringBuilder();
        foreach (var entry in entries)
        {
            var select = bulkToken is null ? string.Empty : $"""<td><input type="checkbox" name="id" value="{E(entry.Id)}" form="bulk" aria-label="select"></td>""";
            rows.Append(CultureInfo.InvariantCulture, $"""
                <tr>{select}<td>{entry.ReceivedAt.UtcDateTime:yyyy-MM-dd HH:mm}</td><td>{E(entry.MailFrom)}</td><td>{E(string.Join(", ", entry.Recipients))}</td>
                <td><a href="{basePath}/{Uri.EscapeDataString(entry.Id)}">{E(string.IsNullOrEmpty(entry.Subject) ? "(no subject)" : entry.Subject)}</a></td><td>{entry.Score:0.00}</td></tr>
                """);
        }

        return $"""
            <form method="get" action="{basePath}"><input name="q" value="{E(filter.Text)}" placeholder="sender, recipient or subject" aria-label="sender, recipient or subject">
            <label>from <input type="date" name="since" value="{filter.SinceText}"></label> <label>to <input type="date" name="until" value="{filter.UntilText}"></label>
            <label>score at least <input type="number" step="0.1" name="min_score" value="{filter.MinScoreText}" size="5"></label> <button>Filter</button></form>
            <p>{entries.Count} held</p>{(bulkToken is null ? string.Empty : $"""
            <form id="bulk" method="post" action="{basePath}/bulk" class="actions">{Token(bulkToken)}
            <button name="action" value="release">Release selected</button> <button name="action" value="delete">Delete selected</button>
            <button name="action" value="spam">Delete selected as spam</button></form>
            """)}
            <table><tr>{(bulkToken is null ? string.Empty : "<th></th>")}<th>Received (UTC)</th><th>Sender</th><th>Recipients</th><th>Subject</th><th>Score</th></tr>{rows}</table>
            """;
    }

    /// <param name="basePath">/quarantine for administrators, /mine for a recipient.</param>
    /// <param name="canAct">Whether this user may release or delete it (a recipient only what was held for them alone).</param>
    /// <param name="hasHtml">The message has an HTML part: shown sanitised in a sandboxed frame (no script, nothing remote) below the text.</param>
    /// <param name="attachments">Attached files (and those inside archives): name, declared type, what the bytes are, size.</param>
    public static string QuarantineMessage(QuarantineEntry entry, IReadOnlyList<(string Name, string Value)> headers, string bodyText, Func<string, string?> describe, string token, string basePath = "/quarantine", bool canAct = true, bool hasHtml = false, IReadOnlyList<Core.Rules.AttachmentFile>? attachments = null)
    {
        var files = attachments is { Count: > 0 }
            ? "<h2>Attachments</h2><table><tr><th>Name</th><th>Declared type</th><th>What the bytes are</th><th>Size</th></tr>" + string.Join(string.Empty, attachments.Select(file =>
                FormattableString.Invariant($"<tr><td>{E(file.Name.Length == 0 ? "(no name)" : file.Name)}</td><td>{E(file.ContentType)}</td><td>{E(file.Facts.Type)}{(file.TypeMismatch ? " <strong>(not what it claims)</strong>" : string.Empty)}</td><td>{file.Size:N0} bytes</td></tr>"))) + "</table>"
            : string.Empty;
        var symbols = string.Join(string.Empty, entry.Symbols.OrderByDescending(symbol => Math.Abs(symbol.Score)).Select(symbol => FormattableString.Invariant($"<tr><td>{E(symbol.Name)}</td><td>{symbol.Score:0.00}</td><td>{E(describe(symbol.Name))}</td></tr>")));
        var headerRows = string.Join(string.Empty, headers.Select(header => $"<tr><th>{E(header.Name)}</th><td>{E(header.Value)}</td></tr>"));
        var id = Uri.EscapeDataString(entry.Id);
        var actions = canAct
            ? $"""
            <p class="actions">
            <form method="post" action="{basePath}/{id}/release">{Token(token)}<button>Release</button></form>
            <form method="post" action="{basePath}/{id}/release?allow=1">{Token(token)}<button>Release and allow the sender</button></form>
            <form method="post" action="{basePath}/{id}/delete">{Token(token)}<button>Delete</button></form>
            <form method="post" action="{basePath}/{id}/delete?spam=1">{Token(token)}<button>Delete as spam</button></form></p>
            """
            : "<p>Held for several recipients: ask your mail administrator to release it.</p>";
        return $"""
            {actions}
            <table><tr><th>Score</th><td>{entry.Score.ToString("0.00", CultureInfo.InvariantCulture)} ({E(entry.Reason)})</td></tr>
            <tr><th>Envelope</th><td>{E(entry.MailFrom)} &rarr; {E(string.Join(", ", entry.Recipients))}, client {E(entry.ClientAddress)} ({E(entry.Helo)})</td></tr>{headerRows}</table>
            <h2>Symbols</h2><table>{symbols}</table>{files}
            <h2>Text</h2><pre>{E(bodyText)}</pre>
            {(hasHtml ? $"""<h2>As sent (HTML: sanitised, no script, nothing remote)</h2><iframe sandbox src="{basePath}/{id}/html" title="the message as sent"></iframe>""" : string.Empty)}
            """;
    }

    public static string Lists(IReadOnlyList<Core.SenderLists.SenderListEntry> entries, string token)
    {
        var rows = string.Join(string.Empty, entries.Select(entry => $"""
            <tr><td>{E(entry.Kind.ToString().ToLowerInvariant())}</td><td>{E(entry.Sender)}</td><td>{E(entry.For == Core.SenderLists.SenderListEntry.Everyone ? "everyone" : entry.For)}</td>
            <td><form method="post" action="/lists/remove">{Token(token)}<input type="hidden" name="for" value="{E(entry.For)}"><input type="hidden" name="sender" value="{E(entry.Sender)}"><button>Remove</button></form></td></tr>
            """));
        return $"""
            <form method="post" action="/lists/add">{Token(token)}
            <select name="kind"><option value="allow">allow</option><option value="block">block</option></select>
            <input name="sender" placeholder="sender address or domain" required> for
            <input name="for" placeholder="recipient, domain of ours, or *" value="*" required> <button>Add</button></form>
            <p>A block refuses that recipient at RCPT; an allow takes 20 points off when DMARC proves the author (or SPF the envelope sender, for an address), never past a virus or a forced reject.</p>
            <table><tr><th>Kind</th><th>Sender</th><th>For</th><th></th></tr>{rows}</table>
            """;
    }

    public static string ScanForm(string token) => $"""
        <form method="post" action="/scan" enctype="multipart/form-data">{Token(token)}
        <p><label>Message (.eml) <input type="file" name="message" required></label></p>
        <p><label>As if for <input name="rcpt" placeholder="recipient (for its policy group)"></label> <button>Scan</button></p></form>
        """;

    public static string ScanResult(string file, Core.Scoring.Verdict verdict, Func<string, string?> describe, double? spamProbability)
    {
        var rows = string.Join(string.Empty, verdict.Symbols.Where(symbol => symbol.Score != 0).OrderByDescending(symbol => Math.Abs(symbol.Score))
            .Select(symbol => FormattableString.Invariant($"<tr><td>{E(symbol.Name)}</td><td>{symbol.Score:0.00}</td><td>{E(describe(symbol.Name))}</td><td>{E(symbol.Detail)}</td></tr>")));
        var probability = spamProbability is { } p ? FormattableString.Invariant($"; the classifier's spam probability {p:0.000}") : string.Empty;
        return $"""
            <p><strong>{E(file)}</strong>: {E(verdict.Action.ToString().ToLowerInvariant())}, score {verdict.Score.ToString("0.00", CultureInfo.InvariantCulture)}{E(verdict.Reason is null ? string.Empty : $" ({verdict.Reason})")}{E(probability)}</p>
            <table><tr><th>Symbol</th><th>Score</th><th>Meaning</th><th>Detail</th></tr>{rows}</table>
            """;
    }

    public static string Notice(string text, string? back = null) =>
        $"<p>{E(text)}</p>" + (back is null ? string.Empty : $"""<p><a href="{E(back)}">Back</a></p>""");

    public static string History(IReadOnlyList<HistoryEntry> entries, HistoryQuery query)
    {
        var rows = new StringBuilder();
        foreach (var entry in entries)
        {
            rows.Append(CultureInfo.InvariantCulture, $"""
                <tr><td>{entry.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss}</td><td>{E(entry.Client)}</td><td>{E(entry.From)}</td><td>{E(string.Join(", ", entry.Recipients))}</td>
                <td>{E(entry.Subject)}<br><small>{E(entry.MessageId)}</small></td><td>{E(entry.Stage == "data" ? entry.Action : $"refused at {entry.Stage.ToUpperInvariant()}")} {entry.Score:0.00}</td><td>{E(entry.Reply)}</td></tr>
                """);
        }

        return $"""
            <form method="get" action="/history">
            <input name="from" value="{E(query.From)}" placeholder="sender"> <input name="to" value="{E(query.To)}" placeholder="recipient">
            <input name="message_id" value="{E(query.MessageId)}" placeholder="Message-ID"> <button>Search</button></form>
            <table><tr><th>Time (UTC)</th><th>Client</th><th>Sender</th><th>Recipients</th><th>Subject / Message-ID</th><th>Verdict</th><th>Told</th></tr>{rows}</table>
            """;
    }
}
