using Gateway.Core.Authentication.Spf;
using Gateway.Core.Delivery;
using Gateway.Core.Pipeline;

namespace Gateway.Smtp;

/// <summary>
/// One mail transaction, from MAIL to the end of DATA (or RSET, the next MAIL, the session's end): the
/// envelope as accepted so far, the SPF evaluation started at MAIL and the mirrored downstream transaction.
/// A new transaction is a new object (<see cref="SessionState.BeginTransactionAsync"/>), so nothing of
/// one transaction is left over in the next for want of a reset.
/// </summary>
internal sealed class TransactionState(string? mailFrom, IReadOnlyDictionary<string, string> mailParameters) : IAsyncDisposable
{
    private readonly List<string> _recipients = [];

    /// <summary>Stops the transaction's SPF evaluation when the transaction or the session ends.</summary>
    private CancellationTokenSource? _spfCancellation;

    /// <summary>MAIL FROM in the form it goes downstream in; null for the null sender.</summary>
    public string? MailFrom => mailFrom;

    /// <summary>ESMTP parameters of the MAIL command (SIZE, BODY, SMTPUTF8), mirrored downstream.</summary>
    public IReadOnlyDictionary<string, string> MailParameters => mailParameters;

    /// <summary>SPF for this transaction, started at MAIL FROM.</summary>
    public Task<SpfOutcome>? SpfAtMailFrom { get; private set; }

    /// <summary>Recipients that both we and the downstream accepted.</summary>
    public IReadOnlyList<string> Recipients => _recipients;

    /// <summary>The policy group of the accepted recipients (fixed by the first one).</summary>
    public string? PolicyGroup { get; private set; }

    /// <summary>The downstream route of the accepted recipients (fixed by the first one).</summary>
    public string? Route { get; private set; }

    /// <summary>Symbols the transaction earned in the dialogue (rate limits with action: symbol).</summary>
    public List<SymbolHit> Symbols { get; } = [];

    /// <summary>The mirrored downstream transaction, opened at the first accepted RCPT.</summary>
    public IDownstreamTransaction? Downstream { get; set; }

    /// <summary>A recipient every check and the downstream accepted, with what the checks learned about it.</summary>
    public void Accept(string recipient, string? policyGroup, string? route, string allowedSenders = "")
    {
        _recipients.Add(recipient);
        PolicyGroup = policyGroup;
        Route = route;
        AllowedSenders = allowedSenders;
    }

    /// <summary>The accepted recipients are spam traps (fuzzy.traps): nothing goes downstream; DATA is learned as spam and refused.</summary>
    public bool IsTrap { get; set; }

    /// <summary>The accepted recipients' allowed senders (fixed by the first one; see Phases.SenderListCheck).</summary>
    public string AllowedSenders { get; private set; } = string.Empty;

    /// <summary>
    /// Starts SPF for this transaction. It runs while the dialogue goes on, so it must not outlive it: it
    /// stops when the transaction ends, the client leaves, or <paramref name="limit"/> (limits.check_timeout)
    /// passes — whichever comes first.
    /// </summary>
    public void StartSpf(Func<CancellationToken, Task<SpfOutcome>> evaluate, TimeSpan limit, CancellationToken session)
    {
        _spfCancellation = CancellationTokenSource.CreateLinkedTokenSource(session);
        _spfCancellation.CancelAfter(limit);
        SpfAtMailFrom = evaluate(_spfCancellation.Token);
    }

    /// <summary>Ends it: SPF stopped, the downstream side reset or returned to its pool.</summary>
    public async ValueTask DisposeAsync()
    {
        // Disposed too, not only cancelled: a linked source stays registered on the session's token until
        // disposed, and a client may run many transactions in one session.
        _spfCancellation?.Cancel();
        _spfCancellation?.Dispose();
        _spfCancellation = null;
        var downstream = Downstream;
        Downstream = null;
        if (downstream is not null)
        {
            await downstream.DisposeAsync();
        }
    }
}
