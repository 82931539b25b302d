using Gateway.Core.Delivery;
using SmtpServer;
using SmtpServer.Net;

namespace Gateway.Smtp;

/// <summary>
/// What we know about one SMTP session beyond what SmtpServer keeps: the client address, the HELO name (the
/// library does not store it), what is looked up once per session, the error counters, and the open
/// transaction (<see cref="TransactionState"/>), which is the only part a transaction's end resets.
/// </summary>
internal sealed class SessionState
{
    private const string PropertyKey = "Gateway:Session";

    /// <summary>The TCP peer, or the address a trusted PROXY line names (proxy_protocol: true).</summary>
    public required IPAddress ClientAddress { get; set; }

    public string HeloName { get; set; } = string.Empty;

    /// <summary>
    /// ESMTP parameters of the MAIL command being handled: SmtpServer's mailbox filter is not given them,
    /// so the host records them as the command executes; the transaction keeps its own copy.
    /// </summary>
    public IReadOnlyDictionary<string, string> MailCommandParameters { get; set; } = new Dictionary<string, string>();

    /// <summary>The open transaction (MAIL accepted), or null between transactions.</summary>
    public TransactionState? Transaction { get; private set; }

    /// <summary>The client's forward-confirmed reverse DNS name, looked up once per session.</summary>
    public Task<string?>? ReverseName { get; set; }

    /// <summary>The early DNS-list verdict on this client, looked up once per session (null: not refused).</summary>
    public Task<Gateway.Core.Pipeline.SmtpReply?>? EarlyRefusal { get; set; }

    /// <summary>Whether a DNS allow list vouches for the client (asked once per session, for greylisting).</summary>
    public Task<bool>? AllowListed { get; set; }

    /// <summary>Protocol errors in a row (<see cref="SessionErrors"/>).</summary>
    public int ProtocolErrors { get; set; }

    /// <summary>Permanent MAIL and RCPT refusals since the session's last accepted message (<see cref="SessionErrors"/>).</summary>
    public int Refusals { get; set; }

    /// <summary>Our own temporary refusals in a row (<see cref="SessionErrors.MaxDeferralsInARow"/>).</summary>
    public int Deferrals { get; set; }

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

    public static SessionState Of(ISessionContext context) => (SessionState)context.Properties[PropertyKey];

    /// <summary>Ends the open transaction, if any, and opens a new one for this MAIL FROM.</summary>
    public async Task<TransactionState> BeginTransactionAsync(string? mailFrom)
    {
        await EndTransactionAsync();
        Transaction = new TransactionState(mailFrom, MailCommandParameters);
        return Transaction;
    }

    /// <summary>Ends the transaction: its SPF evaluation, its downstream side (RSET or back to the pool), our envelope.</summary>
    public async Task EndTransactionAsync()
    {
        var transaction = Transaction;
        Transaction = null;
        if (transaction is not null)
        {
            await transaction.DisposeAsync();
        }
    }
}
