using System.Text.RegularExpressions;
using Gateway.Core.Pipeline;
using Gateway.Core.Content;

namespace Gateway.Core.Rules.Brands;

/// <summary>
/// What a message claims about brands, and whether its sender and links bear the claim out (the rules'
/// brand.* fields). A brand is <em>claimed</em> when the display name names it, or the subject names it
/// beside an account lure ("verify", "suspended", "payment", "password"...); shops name carriers and
/// payment brands in order and delivery subjects all day, so those words are no lure here. A claim is
/// <em>impersonation</em> when the From domain is none of the brand's and the display name does not name
/// the sender's own organisation too ("Amazon Benefits at Fidelity" from fidelity.com is co-branding).
/// <em>Links elsewhere</em>: an impersonated brand, and of the message's links none leads to the brand or
/// to the sender's own organisation: the lure points at a third place. <em>Own</em>: the From domain is the
/// claimed brand's; <em>coherent</em>, besides, every link (and any Reply-To) leads to the brand's own
/// domains, which a forger of the brand's From cannot make his lure do. (Brands named in the opening lines
/// beside a lure were tried too: on the 2002 and list ham they fired on every "Microsoft security update"
/// discussion, 22 ham to 51 spam; not kept.)
/// </summary>
public sealed partial record BrandFacts(
    IReadOnlyList<Brand> Claimed,
    IReadOnlyList<Brand> Impersonated,
    IReadOnlyList<Brand> LinksElsewhere,
    IReadOnlyList<Brand> Own,
    IReadOnlyList<Brand> Coherent,
    int LinkOrganisations)
{
    public static BrandFacts Of(MessageContext context, BrandCatalog catalog)
    {
        var linkOrganisations = context.UrlHosts().Select(Organisation).Distinct(StringComparer.Ordinal).ToList();
        if (catalog.Brands.Count == 0)
        {
            return new BrandFacts([], [], [], [], [], linkOrganisations.Count);
        }

        var from = context.Message.From.Mailboxes.FirstOrDefault();
        var host = from?.Domain ?? string.Empty;
        var subject = context.Message.Subject ?? string.Empty;
        var claimed = catalog.Named(from?.Name ?? string.Empty).Union(AccountLure().IsMatch(subject) ? catalog.Named(subject) : []).ToList();
        // Co-branding, a list's rewritten From ("'Slack' via Jailhouse"), or a bulk service's shared domain:
        // the display name is not contradicted by the From domain there.
        var coBranded = from is not null && (RuleField.NameNamesDomain(from) || ViaList().IsMatch(from.Name ?? string.Empty) || catalog.SharedSenders.Owns(host));
        var fromOrganisation = host.Length == 0 ? null : Organisation(host);
        var hosts = context.UrlHosts();
        var replyTo = context.Message.ReplyTo.Mailboxes.Select(mailbox => mailbox.Domain).ToList();
        return new BrandFacts(
            claimed,
            [.. claimed.Where(brand => !brand.Owns(host) && !coBranded)],
            [.. claimed.Where(brand => !brand.Owns(host) && !coBranded && hosts.Count > 0
                && !hosts.Any(brand.Owns) && !(fromOrganisation is not null && linkOrganisations.Contains(fromOrganisation)))],
            [.. claimed.Where(brand => brand.Owns(host))],
            [.. claimed.Where(brand => brand.Owns(host) && hosts.Count > 0 && hosts.All(brand.Owns) && replyTo.All(brand.Owns))],
            linkOrganisations.Count);
    }

    private static string Organisation(string host) => Dns.PublicSuffixList.Shipped.Organisation(host);

    [GeneratedRegex(@"\bvia\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex ViaList();

    /// <summary>Words of the account lure, in the languages of the corpora and the brand lists.</summary>
    [GeneratedRegex(@"\b(account|verif\w*|confirm\w*|suspend\w*|locked|unlock|security|unusual|password|passcode|sign[- ]?in|log[- ]?in|login|payment|billing|invoice|refund|subscription|renew\w*|expir\w*|storage|mailbox|wallet|tax|reward\w*|prize|winner|urgent|points|gift\w*|voucher\w*|claim\w*|giveaway|perks|membership|bonus|action required|konto|zahlung|rechnung|kennwort|passwort|compte|paiement|facture|mot de passe|cuenta|pago|factura|contraseña|conto|pagamento|fattura)\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AccountLure();
}
