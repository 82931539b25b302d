using Gateway.Core.Authentication;
using Gateway.Core.Scoring;
using MimeKit;

namespace Gateway.Core.Pipeline;

/// <summary>
/// Everything known about one message, shared by the checks of one pipeline run. Typed, not a string bag:
/// later stages (authentication, reputation, classifier) add typed results here.
/// </summary>
public sealed class MessageContext
{
    private readonly List<SymbolHit> _symbols = [];
    private readonly List<ForcedAction> _forced = [];
    private readonly Lock _symbolsLock = new();

    public required string SessionId { get; init; }

    public required Envelope Envelope { get; init; }

    /// <summary>The message bytes exactly as received (dot-unstuffed). Never modified.</summary>
    public required ReadOnlyMemory<byte> RawMessage { get; init; }

    private static readonly MimeMessage Released = new();
    private MimeMessage _message = null!;

    /// <summary>The message parsed once by MimeKit. Checks read it and never modify it.</summary>
    public required MimeMessage Message { get => _message; init => _message = value; }

    /// <summary>
    /// Lets go of the parse (and with it the text decoded per part) once only the raw bytes are needed:
    /// a message waiting on a slow downstream should not hold three copies of itself. After this,
    /// <see cref="Message"/> is an empty message.
    /// </summary>
    public void ReleaseParsedMessage()
    {
        _message = Released;
        lock (_attachmentsLock)
        {
            _attachments = null;
        }
    }

    // One lock per lazily computed value: the checks that want them run in parallel (rules and antivirus
    // the attachments, DNS lists the link hosts, the classifiers the features) and must not wait on each other.
    private readonly Lock _attachmentsLock = new();
    private readonly Lock _urlHostsLock = new();
    private readonly Lock _featuresLock = new();
    private IReadOnlyList<Attachments.DecodedAttachment>? _attachments;

    /// <summary>The attachments decoded once, for the rules' attachment fields and the antivirus check alike.</summary>
    public IReadOnlyList<Attachments.DecodedAttachment> Attachments()
    {
        lock (_attachmentsLock)
        {
            return _attachments ??= global::Gateway.Core.Attachments.DecodedAttachment.Of(Message);
        }
    }

    private IReadOnlyList<string>? _urlHosts;

    /// <summary>
    /// The hosts of the message's links (text and HTML, disguises undone), extracted once: the rules'
    /// url.domain and the domain DNS lists read the same list.
    /// </summary>
    public IReadOnlyList<string> UrlHosts()
    {
        lock (_urlHostsLock)
        {
            return _urlHosts ??= global::Gateway.Core.Content.MessageUrls.Hosts(Message);
        }
    }

    private global::Gateway.Core.Classification.MessageFeatures? _features;

    /// <summary>
    /// What the classifiers read (visible text, link domains, numerics), extracted once per message: the
    /// shipped classifier and the site evidence both need it, and extraction is most of their cost.
    /// </summary>
    public global::Gateway.Core.Classification.MessageFeatures Features(CancellationToken cancellationToken)
    {
        lock (_featuresLock)
        {
            return _features ??= global::Gateway.Core.Classification.MessageFeatures.Extract(Message, RawMessage.Length, cancellationToken);
        }
    }

    /// <summary>SPF results and the rest of sender authentication, for later stages.</summary>
    public AuthenticationOutcome Authentication { get; } = new();

    /// <summary>The policy snapshot (weights, thresholds, rules) this message is decided with, taken once.</summary>
    public ScoringPolicy? Policy { get; init; }

    /// <summary>The spam classifier's answer; null when no model is loaded.</summary>
    public Classification.ClassifierResult? Classification { get; set; }

    /// <summary>Actions demanded regardless of score (DMARC p=reject, later rules' force actions).</summary>
    public IReadOnlyList<ForcedAction> ForcedActions
    {
        get
        {
            lock (_symbolsLock)
            {
                return [.. _forced];
            }
        }
    }

    public void Force(ForcedAction action)
    {
        lock (_symbolsLock)
        {
            _forced.Add(action);
        }
    }

    /// <summary>Checks run in parallel where independent, so adding is thread-safe.</summary>
    public void Add(SymbolHit hit)
    {
        lock (_symbolsLock)
        {
            _symbols.Add(hit);
        }
    }

    /// <summary>A snapshot of the hits so far.</summary>
    public IReadOnlyList<SymbolHit> Symbols
    {
        get
        {
            lock (_symbolsLock)
            {
                return [.. _symbols];
            }
        }
    }
}
