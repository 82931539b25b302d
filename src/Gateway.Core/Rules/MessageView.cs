using Gateway.Core.Content;
using Gateway.Core.Pipeline;
using MimeKit;
using Gateway.Core.Attachments;

namespace Gateway.Core.Rules;

/// <summary>
/// The fields rules can test, computed lazily from one message: a rule set that never looks at the body
/// never pays for decoding it, and each field is computed once however many rules read it.
/// </summary>
/// <param name="brands">rules/brands.yaml of the rule set being evaluated (the brand.* fields).</param>
public sealed class MessageView(MessageContext context, Brands.BrandCatalog? brands = null)
{
    private readonly Lazy<string> _bodyText = new(() => BodyTextOf(context.Message));
    private readonly Lazy<string> _html = new(() => string.Join('\n', context.Message.BodyParts.OfType<TextPart>().Where(part => part.IsHtml).Select(part => PartContent.Of(part).Decoded)));
    // The parts alone (attachment.count) need no decoding; the files (names, types, archives) share the decoded bytes.
    private readonly Lazy<IReadOnlyList<MimePart>> _attachments = new(() => [.. context.Message.BodyParts.OfType<MimePart>().Where(Gateway.Core.Attachments.DecodedAttachment.IsAttachment)]);
    private readonly Lazy<IReadOnlyList<AttachmentFile>> _files = new(() => AttachmentFile.Of(context.Attachments()));

    public MessageContext Context { get; } = context;

    /// <summary>The first link whose text shows another registered domain than its target ("shown -> target"), or null.</summary>
    public string? DeceptiveLink => (_deceptiveLinkValue ??= new Lazy<string?>(() => Html.Length == 0 ? null : DeceptiveLinks.First(Html))).Value;

    private Lazy<string?>? _deceptiveLinkValue;

    public string BodyText => _bodyText.Value;

    /// <summary>
    /// The text's first line is the subject again (spacing and case aside; subjects of 10 characters or more):
    /// the snowshoe template's opening (subject, bare links, then filler text to sway a word-based classifier).
    /// </summary>
    public bool OpensWithSubject
    {
        get
        {
            var subject = Collapse(Context.Message.Subject ?? string.Empty);
            if (subject.Length < 10)
            {
                return false;
            }

            // The first line with anything on it, lines cut at '\n' only, without splitting the whole text into strings.
            var text = BodyText.AsSpan();
            foreach (var range in text.Split('\n'))
            {
                if (!text[range].IsWhiteSpace())
                {
                    return string.Equals(Collapse(text[range].Trim().ToString()), subject, StringComparison.OrdinalIgnoreCase);
                }
            }

            return false;
        }
    }

    private static string Collapse(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>The message's brand claims and whether sender and links bear them out, computed once.</summary>
    public Brands.BrandFacts Brands => _brandFacts ??= Gateway.Core.Rules.Brands.BrandFacts.Of(Context, brands ?? Gateway.Core.Rules.Brands.BrandCatalog.Empty);

    private Brands.BrandFacts? _brandFacts;

    public string Html => _html.Value;

    public IReadOnlyList<string> UrlDomains => Context.UrlHosts();

    public IReadOnlyList<MimePart> Attachments => _attachments.Value;

    /// <summary>Attachments and the files inside zip attachments (names, sizes), for the attachment.* fields.</summary>
    public IReadOnlyList<AttachmentFile> Files => _files.Value;

    private static string BodyTextOf(MimeMessage message) => string.Join('\n', message.BodyParts.OfType<TextPart>()
        .Select(part => PartContent.Of(part).Visible));
}
