using Gateway.Core.Delivery;
using SmtpServer;
using SmtpServer.Net;

namespace Gateway.Smtp;

/// <summary>
/// What we know about one SMTP session beyond what SmtpServer keeps: the HELO name (the library does not
/// store it), the client address and the open downstream transaction that mirrors the client's.
/// </summary>
internal sealed class SessionState
{
    private const string PropertyKey = "Gateway:Session";

    /// <summary>The TCP peer, or the address a trusted PROXY line names (proxy_protocol: true).</summary>
    public required IPAddress ClientAddress { get; set; }

    public string HeloName { get; set; } = string.Empty;

    /// <summary>MAIL FROM of the current transaction; null for the null sender.</summary>
    public string? MailFrom { get; set; }

    /// <summary>ESMTP parameters of the current MAIL command (SIZE, BODY, SMTPUTF8), mirrored downstream.</summary>
    public IReadOnlyDictionary<string, string> MailParameters { get; set; } = new Dictionary<string, string>();

    /// <summary>The client's forward-confirmed reverse DNS name, looked up once per session.</summary>
    public Task<string?>? ReverseName { get; set; }

    /// <summary>The early DNS-list verdict on this client, looked up once per session (null: not refused).</summary>
    public Task<Gateway.Core.Delivery.SmtpReply?>? EarlyRefusal { get; set; }

    /// <summary>SPF for the current transaction, started at MAIL FROM.</summary>
    public Task<Gateway.Core.Authentication.Spf.SpfOutcome>? SpfAtMailFrom { get; private set; }

    /// <summary>Stops the transaction's SPF evaluation when the transaction or the session ends.</summary>
    private CancellationTokenSource? _spfCancellation;

    /// <summary>The policy group of the transaction's accepted recipients (set by the first one).</summary>
    public string? PolicyGroup { get; set; }

    /// <summary>The downstream route of the transaction's accepted recipients (set by the first one).</summary>
    public string? Route { get; set; }

    /// <summary>Symbols the current transaction earned in the dialogue (rate limits with action: symbol).</summary>
    public List<Gateway.Core.Pipeline.SymbolHit> TransactionSymbols { get; } = [];

    /// <summary>Whether a DNS allow list vouches for the client (asked once per session, for greylisting).</summary>
    public Task<bool>? AllowListed { get; set; }

    /// <summary>Protocol errors in a row (<see cref="SessionErrors"/>).</summary>
    public int ProtocolErrors { get; set; }

    /// <summary>Permanent MAIL and RCPT refusals since the session's last accepted message (<see cref="SessionErrors"/>).</summary>
    public int Refusals { get; set; }

    /// <summary>Our own temporary refusals in a row (<see cref="SessionErrors.MaxDeferralsInARow"/>).</summary>
    public int Deferrals { get; set; }

    /// <summary>Recipients of the current transaction that both we and the downstream accepted.</summary>
    public List<string> Recipients { get; } = [];

    /// <summary>The mirrored downstream transaction, opened at the first accepted RCPT.</summary>
    public IDownstreamTransaction? Downstream { get; set; }

    public static SessionState Attach(ISessionContext context)
    {
        // The client as the admission listener named it: the PROXY header's source, else the TCP peer.
        var remote = context.Properties.TryGetValue(Admission.AdmissionListenerFactory.ClientEndPointKey, out var value) && value is IPEndPoint endPoint
            ? endPoint.Address
            : IPAddress.None;
        var state = new SessionState
        {
            ClientAddress = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote,
        };
        context.Properties[PropertyKey] = state;
        return state;
    }

    /// <summary>
    /// Starts SPF for this transaction. It runs while the dialogue goes on, so it must not outlive it: it
    /// stops when the transaction ends (RSET, the next MAIL, end of DATA), the client leaves, or
    /// <paramref name="limit"/> (limits.check_timeout) passes — whichever comes first.
    /// </summary>
    public void StartSpf(Func<CancellationToken, Task<Gateway.Core.Authentication.Spf.SpfOutcome>> evaluate, TimeSpan limit, CancellationToken session)
    {
        _spfCancellation = CancellationTokenSource.CreateLinkedTokenSource(session);
        _spfCancellation.CancelAfter(limit);
        SpfAtMailFrom = evaluate(_spfCancellation.Token);
    }

    public static SessionState Of(ISessionContext context) => (SessionState)context.Properties[PropertyKey];

    /// <summary>Ends the transaction: its downstream side (RSET or back to the pool) and our envelope.</summary>
    public async Task EndTransactionAsync()
    {
        Recipients.Clear();
        TransactionSymbols.Clear();
        PolicyGroup = null;
        Route = null;
        SpfAtMailFrom = null;
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
