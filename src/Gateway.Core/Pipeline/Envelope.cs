namespace Gateway.Core.Pipeline;

/// <summary>
/// What the client told us in the SMTP dialogue and what the dialogue's phases found out (reverse DNS,
/// lookups begun at MAIL, symbols earned before DATA): the one per-transaction object the DATA phase
/// starts from. <see cref="From"/> is null for the null sender <c>&lt;&gt;</c>.
/// </summary>
public sealed record Envelope(
    IPAddress ClientAddress,
    string HeloName,
    string? From,
    IReadOnlyList<string> Recipients,
    bool IsTls = false)
{
    /// <summary>The client's forward-confirmed reverse DNS name (PTR whose A/AAAA leads back), or null.</summary>
    public string? ReverseName { get; init; }

    /// <summary>
    /// The recipients' policy group (actions.yaml groups); one per transaction, fixed by the dialogue, or by the
    /// scanner from the first recipient when scanning files. Null: the default group.
    /// </summary>
    public string? PolicyGroup { get; init; }

    /// <summary>The group of recipients no actions.yaml group names.</summary>
    public const string DefaultPolicyGroup = "default";

    /// <summary>Symbols the SMTP dialogue already earned (a rate limit with action: symbol), added to the message's.</summary>
    public IReadOnlyList<SymbolHit> SessionSymbols { get; init; } = [];

    /// <summary>
    /// Lookups the dialogue began for the DATA phase to finish (SPF at MAIL FROM, so its DNS overlaps the
    /// dialogue), each under the slot its stage owns (<see cref="Begun{T}"/>); empty when scanning files.
    /// </summary>
    public IReadOnlyDictionary<object, object> BegunLookups { get; init; } = new Dictionary<object, object>();

    /// <summary>What the dialogue began under this stage's slot; null when it began nothing there.</summary>
    public T? Begun<T>(MessageSlot<T> slot)
        where T : class => BegunLookups.TryGetValue(slot, out var begun) ? (T)begun : null;

    /// <summary>This envelope with one more lookup the dialogue began.</summary>
    public Envelope WithBegun<T>(MessageSlot<T> slot, T begun)
        where T : class => this with { BegunLookups = new Dictionary<object, object>(BegunLookups, ReferenceEqualityComparer.Instance) { [slot] = begun } };

    public static readonly Envelope Offline = new(IPAddress.Loopback, "localhost", null, []);
}
