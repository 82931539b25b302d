using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Dns;
using Gateway.Core.Greylisting;
using Gateway.Core.Pipeline;
using Gateway.Core.RateLimits;
using Gateway.Core.Reputation;
using Gateway.Core.Scoring;
using Gateway.Core.State;
using Gateway.Metrics;
using Microsoft.Extensions.Logging;

namespace Gateway.Smtp.Phases;

/// <summary>
/// Greylisting and rate limits in the SMTP dialogue, on the shared state store: rate limits at MAIL and
/// RCPT, greylisting at RCPT (before the downstream is asked). When the store is unreachable the
/// configured fallback applies (state.on_error: accept by default), with a warning at most once a
/// minute and gateway_state_errors_total — never a crash, never a lost message.
/// </summary>
internal sealed class SharedStateChecks : ISenderCheck, IRecipientCheck
{
    private readonly GatewayOptions _options;
    private readonly Greylist? _greylist;
    private readonly RateLimiter? _rateLimiter;
    private readonly IReadOnlyList<IPNetwork> _skipNetworks;
    private readonly IDnsResolver? _dns;
    private readonly Func<ScoringPolicy> _policy;
    private readonly ILogger _logger;
    private readonly WarningThrottle _warnings = new(TimeSpan.FromMinutes(1), TimeProvider.System);

    public SharedStateChecks(GatewayOptions options, IStateStore store, IDnsResolver? dns, Func<ScoringPolicy> policy, ILogger logger)
    {
        _options = options;
        _greylist = options.Greylisting.Enabled ? new Greylist(store, options.Greylisting, TimeProvider.System) : null;
        _rateLimiter = options.RateLimits.Count > 0 ? new RateLimiter(store, options.RateLimits, TimeProvider.System) : null;
        _skipNetworks = [.. options.Greylisting.SkipNetworks.Select(network => IPNetwork.Parse(network))];
        _dns = dns;
        _policy = policy;
        _logger = logger;
    }

    public string Name => "shared-state";

    /// <summary>Rate limits count senders by their address: after it has a valid form.</summary>
    IReadOnlyList<string> ISenderCheck.DependsOn => [SenderAddressCheck.CheckName];

    /// <summary>Rate limits and greylisting count recipients by their address: after it has a valid form.</summary>
    IReadOnlyList<string> IRecipientCheck.DependsOn => [RecipientAddressCheck.CheckName];

    /// <summary>Rate limits at MAIL.</summary>
    public async ValueTask<DialogueOutcome> CheckAsync(SenderStep step, CancellationToken cancellationToken) =>
        _rateLimiter is null ? DialogueOutcome.Continue : Judge(step.Transaction, await _rateLimiter.AtMailAsync(step.Session.ClientAddress, step.Transaction.MailFrom, cancellationToken));

    /// <summary>Rate limits, then greylisting, at RCPT.</summary>
    public async ValueTask<DialogueOutcome> CheckAsync(RecipientStep step, CancellationToken cancellationToken)
    {
        var state = step.Session;
        var mailFrom = step.Transaction.MailFrom;
        var recipient = step.Recipient!;
        if (_rateLimiter is not null && Judge(step.Transaction, await _rateLimiter.AtRcptAsync(state.ClientAddress, mailFrom, recipient, cancellationToken)) is { IsContinue: false } limited)
        {
            return limited;
        }

        if (_greylist is null || await SkipsGreylistingAsync(state, cancellationToken))
        {
            return DialogueOutcome.Continue;
        }

        var outcome = await _greylist.CheckAsync(state.ClientAddress, mailFrom, recipient, cancellationToken);
        GatewayMetrics.Greylist.WithLabels(outcome.Result.ToString().ToLowerInvariant()).Inc();
        return outcome.Result switch
        {
            GreylistResult.Deferred => DialogueOutcome.Refuse(new SmtpReply(451, "4.7.1", $"Greylisted, please try again in {Math.Ceiling(outcome.RetryAfter.TotalSeconds):0} seconds")),
            GreylistResult.Unavailable => Unavailable("greylisting"),
            _ => DialogueOutcome.Continue,
        };
    }

    private DialogueOutcome Judge(TransactionState transaction, RateLimitOutcome outcome)
    {
        if (outcome.Unavailable)
        {
            return Unavailable("rate limits");
        }

        foreach (var limit in outcome.Exceeded)
        {
            GatewayMetrics.RateLimitExceeded.WithLabels(limit.Name).Inc();
            transaction.Symbols.Add(new SymbolHit(limit.EffectiveSymbol, 1.0, $"over {limit.Limit} {limit.Count.ToString().ToLowerInvariant()} per {limit.Window} by {limit.Key}"));
        }

        return outcome.Refusal switch
        {
            { Action: RateLimitAction.Disconnect } limit => DialogueOutcome.Close(new SmtpReply(421, "4.7.0", $"Rate limit {limit.Name} exceeded, closing connection")),
            { } limit => DialogueOutcome.Refuse(new SmtpReply(450, "4.7.1", $"Rate limit {limit.Name} exceeded, try again later")),
            null => DialogueOutcome.Continue,
        };
    }

    private DialogueOutcome Unavailable(string what)
    {
        GatewayMetrics.StateErrors.Inc();
        if (_warnings.ShouldWarn("state"))
        {
            _logger.LogWarning("State store ({Backend}) unreachable: {What} {Fallback} (state.on_error: {OnError}); further failures in the next minute are only counted", _options.State.Backend, what, _options.State.OnError == StateFallback.Accept ? "skipped" : "answered 451 4.3.0", _options.State.OnError);
        }

        return _options.State.OnError == StateFallback.Accept
            ? DialogueOutcome.Continue
            : DialogueOutcome.Refuse(new SmtpReply(451, "4.3.0", "Temporary local problem, please try again later"));
    }

    /// <summary>Configured networks, and clients an enabled DNS allow list vouches for (once per session).</summary>
    private async Task<bool> SkipsGreylistingAsync(SessionState state, CancellationToken cancellationToken)
    {
        if (_skipNetworks.Any(network => network.Contains(state.ClientAddress)))
        {
            GatewayMetrics.Greylist.WithLabels("skipped").Inc();
            return true;
        }

        if (!_options.Greylisting.SkipDnswl || _dns is null)
        {
            return false;
        }

        var current = _policy(); // one snapshot: its lists and its weights
        state.AllowListed ??= DnsListRefusal.IsAllowListedAsync(_dns, current.Lists, current.WeightOf, state.ClientAddress, cancellationToken);
        if (await state.AllowListed)
        {
            GatewayMetrics.Greylist.WithLabels("skipped").Inc();
            return true;
        }

        return false;
    }
}
