using System.Globalization;
using MimeKit;
using Gateway.Core.Classification;
using Gateway.Core.Authentication;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Rules;

public enum FieldKind
{
    Text,
    Number,
    Address,
    Boolean,
}

/// <summary>
/// A field a condition can test, with its values for one message. Several values (recipients, headers,
/// URL domains, attachments) match when any value matches.
/// </summary>
public sealed record RuleField(string Name, FieldKind Kind, Func<MessageView, IEnumerable<string>> Values)
{
    private static readonly Dictionary<string, RuleField> Known = new(StringComparer.Ordinal)
    {
        ["connection.ip"] = new("connection.ip", FieldKind.Address, view => [view.Context.Envelope.ClientAddress.ToString()]),
        ["connection.tls"] = new("connection.tls", FieldKind.Boolean, view => [view.Context.Envelope.IsTls ? "true" : "false"]),
        ["helo"] = new("helo", FieldKind.Text, view => [view.Context.Envelope.HeloName]),
        ["envelope.from"] = new("envelope.from", FieldKind.Text, view => view.Context.Envelope.From is { } from ? [from] : []),
        ["envelope.from.domain"] = new("envelope.from.domain", FieldKind.Text, view => view.Context.Envelope.From is { } from ? [DomainOf(from)] : []),
        ["envelope.rcpt"] = new("envelope.rcpt", FieldKind.Text, view => view.Context.Envelope.Recipients),
        ["envelope.rcpt.domain"] = new("envelope.rcpt.domain", FieldKind.Text, view => view.Context.Envelope.Recipients.Select(DomainOf)),
        ["policy.group"] = new("policy.group", FieldKind.Text, view => [view.Context.Envelope.PolicyGroup ?? Envelope.DefaultPolicyGroup]),
        ["from.address"] = new("from.address", FieldKind.Text, view => view.Context.Message.From.Mailboxes.Select(mailbox => mailbox.Address)),
        ["from.domain"] = new("from.domain", FieldKind.Text, view => view.Context.Message.From.Mailboxes.Select(mailbox => mailbox.Domain)),
        ["from.name"] = new("from.name", FieldKind.Text, view => view.Context.Message.From.Mailboxes.Select(mailbox => mailbox.Name ?? string.Empty)),
        // Co-branded senders name themselves beside the brand ("Amazon Benefits at Fidelity" from fidelity.com):
        // true when the display name contains the From organisation's own name (fidelity for mail.fidelity.com).
        ["from.name_names_domain"] = new("from.name_names_domain", FieldKind.Boolean, view => [view.Context.Message.From.Mailboxes.Any(NameNamesDomain) ? "true" : "false"]),
        // A sender that says who it is: the display name names the From organisation, strictly as above or by a
        // distinctive word of it inside the organisation's label (Microsoft Store from microsoftstoreemail.com).
        // Commercial mail almost always does (156 of 201 in corpus-modern), spam and phishing rarely (25 of 1,137).
        ["from.name_matches_domain"] = new("from.name_matches_domain", FieldKind.Boolean, view => [view.Context.Message.From.Mailboxes.Any(NameMatchesDomain) ? "true" : "false"]),
        // The sender names itself elsewhere: the subject names the From organisation ("Your 2026 Feminist Majority
        // Renewal" from feminist.org), or a platform sends for a business whose name the display name gives and
        // whose domain takes the replies ("Duluth Trading" via narvar.com, Reply-To duluthtrading.com). In the
        // corpora with a signature of the From organisation: 15 of 201 commercial messages, 23 other ham, no spam.
        ["subject.names_from_organisation"] = new("subject.names_from_organisation", FieldKind.Boolean, view => [view.Context.Message.From.Mailboxes.Any(mailbox => SubjectNames(view.Context.Message.Subject, mailbox)) ? "true" : "false"]),
        ["from.name_names_reply_to"] = new("from.name_names_reply_to", FieldKind.Boolean, view => [view.Context.Message.From.Mailboxes.Any(from => view.Context.Message.ReplyTo.Mailboxes.Any(replyTo => NameNamesOtherOrganisation(from, replyTo))) ? "true" : "false"]),
        ["reply_to.address"] = new("reply_to.address", FieldKind.Text, view => view.Context.Message.ReplyTo.Mailboxes.Select(mailbox => mailbox.Address)),
        ["reply_to.domain"] = new("reply_to.domain", FieldKind.Text, view => view.Context.Message.ReplyTo.Mailboxes.Select(mailbox => mailbox.Domain)),
        ["subject"] = new("subject", FieldKind.Text, view => [view.Context.Message.Subject ?? string.Empty]),
        ["body.text"] = new("body.text", FieldKind.Text, view => [view.BodyText]),
        ["body.opens_with_subject"] = new("body.opens_with_subject", FieldKind.Boolean, view => [view.OpensWithSubject ? "true" : "false"]),
        ["body.html"] = new("body.html", FieldKind.Text, view => view.Html.Length == 0 ? [] : [view.Html]),
        ["url.domain"] = new("url.domain", FieldKind.Text, view => view.UrlDomains),
        ["link.deceptive"] = new("link.deceptive", FieldKind.Boolean, view => [view.DeceptiveLink is null ? "false" : "true"]),
        ["attachment.name"] = new("attachment.name", FieldKind.Text, view => view.Files.Select(file => file.Name)),
        ["attachment.extension"] = new("attachment.extension", FieldKind.Text, view => view.Files.Select(file => file.Extension)),
        ["attachment.content_type"] = new("attachment.content_type", FieldKind.Text, view => view.Files.Select(file => file.ContentType)),
        ["attachment.size"] = new("attachment.size", FieldKind.Number, view => view.Files.Select(file => file.Size.ToString(CultureInfo.InvariantCulture))),
        ["attachment.type"] = new("attachment.type", FieldKind.Text, view => view.Files.Select(file => file.Facts.Type)),
        ["attachment.type_mismatch"] = new("attachment.type_mismatch", FieldKind.Boolean, view => [view.Files.Any(file => file.TypeMismatch) ? "true" : "false"]),
        ["attachment.macro"] = new("attachment.macro", FieldKind.Boolean, view => [view.Files.Any(file => file.Facts.Macro) ? "true" : "false"]),
        ["attachment.encrypted"] = new("attachment.encrypted", FieldKind.Boolean, view => [view.Files.Any(file => file.Facts.Encrypted) ? "true" : "false"]),
        ["attachment.unlooked"] = new("attachment.unlooked", FieldKind.Boolean, view => [view.Files.Any(file => file.Facts.Unlooked) ? "true" : "false"]),
        ["attachment.active"] = new("attachment.active", FieldKind.Text, view => view.Files.SelectMany(file => file.Facts.Active.Select(active => $"{file.Facts.Type} {active}"))),
        ["attachment.count"] = new("attachment.count", FieldKind.Number, view => [view.Attachments.Count.ToString(CultureInfo.InvariantCulture)]),
        ["connection.rdns"] = new("connection.rdns", FieldKind.Text, view => [view.Context.Envelope.ReverseName ?? string.Empty]),
        ["message.size"] = new("message.size", FieldKind.Number, view => [view.Context.RawMessage.Length.ToString(CultureInfo.InvariantCulture)]),
        ["auth.spf"] = new("auth.spf", FieldKind.Text, view => view.Context.Authentication.Spf is { } spf ? [spf.Result.ToString().ToLowerInvariant()] : []),
        ["auth.dkim"] = new("auth.dkim", FieldKind.Text, view => view.Context.Authentication.DkimSummary is { } dkim ? [dkim] : []),
        ["auth.dmarc"] = new("auth.dmarc", FieldKind.Text, view => view.Context.Authentication.Dmarc is { } dmarc ? [Authentication.AuthenticationOutcome.Word(dmarc.Result)] : []),
        // 2024 bulk-sender practice: signed by the From organisation itself. Verified when DKIM ran (a pass
        // for a d= of that organisation); without DNS (gateway check --offline, the corpora) only present,
        // which anyone can write: weigh it as what a forger can add cheaply unless DNS is on.
        ["dkim.aligned"] = new("dkim.aligned", FieldKind.Boolean, view => [DkimAligned(view.Context) ? "true" : "false"]),
        ["auth.arc"] = new("auth.arc", FieldKind.Text, view => view.Context.Authentication.Arc is { } arc ? [Authentication.AuthenticationOutcome.Word(arc.Result)] : []),
        ["symbol"] = new("symbol", FieldKind.Text, view => view.Context.Symbols.Select(symbol => symbol.Name)),
        // What the message claims about brands (rules/brands.yaml; Brands/BrandFacts.cs says what each means).
        ["brand.claimed"] = new("brand.claimed", FieldKind.Text, view => view.Brands.Claimed.Select(brand => brand.Name)),
        ["brand.impersonated"] = new("brand.impersonated", FieldKind.Text, view => view.Brands.Impersonated.Select(brand => brand.Name)),
        ["brand.links_elsewhere"] = new("brand.links_elsewhere", FieldKind.Text, view => view.Brands.LinksElsewhere.Select(brand => brand.Name)),
        ["brand.own"] = new("brand.own", FieldKind.Text, view => view.Brands.Own.Select(brand => brand.Name)),
        ["brand.coherent"] = new("brand.coherent", FieldKind.Text, view => view.Brands.Coherent.Select(brand => brand.Name)),
        ["link.organisations"] = new("link.organisations", FieldKind.Number, view => [view.Brands.LinkOrganisations.ToString(CultureInfo.InvariantCulture)]),
        ["classifier.spam_probability"] = new("classifier.spam_probability", FieldKind.Number, view => view.Context.Classification is { } result ? [result.SpamProbability.ToString(CultureInfo.InvariantCulture)] : []),
    };

    public static IEnumerable<string> KnownNames => Known.Keys.Append("header.<Name>");

    /// <summary>A known field, or header.&lt;Name&gt; for every value of that header; null when unknown.</summary>
    public static RuleField? Find(string name)
    {
        if (Known.TryGetValue(name, out var field))
        {
            return field;
        }

        if (name.StartsWith("header.", StringComparison.Ordinal) && name.Length > "header.".Length)
        {
            var header = name["header.".Length..];
            // MimeKit keeps Content-* fields of the top level on the body entity, not on the message.
            return new RuleField(name, FieldKind.Text, view => view.Context.Message.Headers
                .Concat(view.Context.Message.Body?.Headers ?? [])
                .Where(item => item.Field.Equals(header, StringComparison.OrdinalIgnoreCase))
                .Select(item => item.Value));
        }

        return null;
    }

    /// <summary>The organisation's label of the mailbox's domain (its registered domain without the public suffix), 3+ letters, inside its display name, ignoring case, spaces and punctuation.</summary>
    internal static bool NameNamesDomain(MimeKit.MailboxAddress mailbox) => NamesLabel(mailbox, OrganisationLabel(mailbox));

    /// <summary>The From organisation's label: its registered domain without the public suffix (williams-sonoma).</summary>
    private static string OrganisationLabel(MimeKit.MailboxAddress mailbox) =>
        Dns.PublicSuffixList.Shipped.RegisteredDomain(mailbox.Domain.TrimEnd('.').ToLowerInvariant())?.Split('.')[0] ?? string.Empty;

    private static bool NamesLabel(MimeKit.MailboxAddress mailbox, string label)
    {
        var name = Compact(mailbox.Name);
        return label.Length >= 3 && name.Contains(label.Replace("-", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
    }

    /// <summary>
    /// <see cref="NameNamesDomain"/>, or the display name's letters (3+) or one of its distinctive words (4+ letters)
    /// inside the organisation's label: "GLS" from gls-group.eu, "Reolink" from reolinksupport.com. Words every
    /// sender puts in a display name (mail, team, support, service...) do not count: "Support Team" names no one.
    /// </summary>
    internal static bool NameMatchesDomain(MimeKit.MailboxAddress mailbox)
    {
        var organisation = OrganisationLabel(mailbox);
        if (NamesLabel(mailbox, organisation))
        {
            return true;
        }

        var label = organisation.Replace("-", string.Empty, StringComparison.Ordinal);
        var displayName = (mailbox.Name ?? string.Empty).ToLowerInvariant();
        var name = Compact(displayName);
        if (label.Length < 3 || name.Length < 3)
        {
            return false;
        }

        return label.Contains(name, StringComparison.Ordinal) || Words(displayName)
            .Any(word => word.Length >= 4 && !GenericNameWords.Contains(word) && label.Contains(word, StringComparison.Ordinal));
    }

    /// <summary>The From organisation's label (4+ letters, hyphens aside) inside the subject, ignoring case, spaces and punctuation.</summary>
    private static bool SubjectNames(string? subject, MimeKit.MailboxAddress from)
    {
        var label = OrganisationLabel(from).Replace("-", string.Empty, StringComparison.Ordinal);
        var text = Compact(subject);
        return label.Length >= 4 && text.Contains(label, StringComparison.Ordinal);
    }

    /// <summary>The display name of From names the Reply-To's organisation (4+ letters), another one than From's own.</summary>
    private static bool NameNamesOtherOrganisation(MimeKit.MailboxAddress from, MimeKit.MailboxAddress replyTo)
    {
        var label = OrganisationLabel(replyTo);
        return label.Replace("-", string.Empty, StringComparison.Ordinal).Length >= 4 && label != OrganisationLabel(from) && NamesLabel(from, label);
    }

    /// <summary>Letters and digits only, in lower case: how names are compared with domain labels ("Williams-Sonoma, Inc." -> williamssonomainc).</summary>
    private static string Compact(string? text) => new([.. (text ?? string.Empty).Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant)]);

    private static IEnumerable<string> Words(string text)
    {
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || !char.IsLetterOrDigit(text[i]))
            {
                if (i > start)
                {
                    yield return text[start..i];
                }

                start = i + 1;
            }
        }
    }

    private static readonly HashSet<string> GenericNameWords = new(StringComparer.Ordinal)
    {
        "mail", "email", "team", "info", "news", "newsletter", "support", "service", "services", "customer", "customers",
        "care", "help", "desk", "online", "official", "secure", "security", "account", "accounts", "update", "updates",
        "notice", "notices", "notification", "notifications", "alert", "alerts", "shop", "store", "group", "club",
        "member", "members", "office", "center", "centre", "admin", "noreply", "reply", "contact", "offer", "offers",
        "deal", "deals", "sales", "billing", "payment", "payments", "delivery", "order", "orders", "health", "home",
        "life", "world", "global", "direct", "express", "mobile", "from", "your", "with", "there", "here", "the",
    };

    internal static bool DkimAligned(Pipeline.MessageContext context)
    {
        if (context.Message.From.Mailboxes.ToList() is not [var from] || string.IsNullOrEmpty(from.Domain))
        {
            return false;
        }

        var organisation = Dns.PublicSuffixList.Shipped.Organisation(from.Domain);
        if (context.Authentication.Dkim is { } verified)
        {
            return verified.Any(signature => signature.Result == Authentication.AuthResult.Pass && Dns.PublicSuffixList.Shipped.Organisation(signature.Domain) == organisation);
        }

        return context.Message.Headers.Where(header => header.Id == HeaderId.DkimSignature)
            .Select(header => SignatureDomain(header.Value))
            .Any(domain => domain is not null && Dns.PublicSuffixList.Shipped.Organisation(domain) == organisation);
    }

    /// <summary>The d= tag of a DKIM-Signature field's value; null without one.</summary>
    private static string? SignatureDomain(string value) =>
        value.Split(';').Select(tag => tag.Trim()).FirstOrDefault(tag => tag.StartsWith("d=", StringComparison.OrdinalIgnoreCase)) is { } d ? d[2..].Trim() : null;

    private static string DomainOf(string address) => address.LastIndexOf('@') is var at and >= 0 ? address[(at + 1)..] : string.Empty;
}
