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
    /// <see cref="Message"/> is an empty message, and slots that hold decoded content are emptied.
    /// </summary>
    public void ReleaseParsedMessage()
    {
        _message = Released;
        foreach (var value in _slots.Values)
        {
            if (value.DropsWithParse)
            {
                lock (value.Gate)
                {
                    value.Value = null;
                }
            }
        }
    }

    // One lock per slot: the checks that want values run in parallel (rules and antivirus the attachments, DNS
    // lists the link hosts, the classifiers the features) and must not wait on each other.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<object, SlotValue> _slots = new(ReferenceEqualityComparer.Instance);

    private sealed class SlotValue(bool dropsWithParse)
    {
        public readonly Lock Gate = new();
        public object? Value;

        public bool DropsWithParse => dropsWithParse;
    }

    /// <summary>
    /// The slot's value, computed on first use by the slot's own function, then shared by every check (a
    /// cancelled computation leaves the slot empty for the next asker).
    /// </summary>
    public T Computed<T>(MessageSlot<T> slot, CancellationToken cancellationToken = default)
        where T : class
    {
        var value = _slots.GetOrAdd(slot, static (_, drops) => new SlotValue(drops), slot.DropsWithParse);
        lock (value.Gate)
        {
            return (T)(value.Value ??= (slot.Compute ?? throw new InvalidOperationException("this slot is set by its stage, not computed"))(this, cancellationToken));
        }
    }

    /// <summary>What a stage put in its slot; null until it did.</summary>
    public T? Get<T>(MessageSlot<T> slot)
        where T : class =>
        _slots.TryGetValue(slot, out var value) ? (T?)Volatile.Read(ref value.Value) : null;

    /// <summary>A stage's result for the checks after it (they declare DependsOn on it).</summary>
    public void Set<T>(MessageSlot<T> slot, T? result)
        where T : class =>
        Volatile.Write(ref _slots.GetOrAdd(slot, static (_, drops) => new SlotValue(drops), slot.DropsWithParse).Value, result);

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
