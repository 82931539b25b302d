using System.Buffers;
using Gateway.Core.Configuration;
using Gateway.Core.Delivery;
using Gateway.Core.Headers;
using Gateway.Core.Pipeline;
using Gateway.Core.Scanning;
using Gateway.Core.Scoring;
using Gateway.Metrics;
using Microsoft.Extensions.Logging;
using SmtpServer;
using SmtpServer.Protocol;
using SmtpServer.Storage;
using Gateway.Core.Classification;

namespace Gateway.Smtp;

/// <summary>
/// End of DATA: copy the bytes, scan, carry out the verdict, and answer with the downstream's reply.
/// It never throws: SmtpServer 11.1 writes no reply for an exception from here and the client would hang.
/// </summary>
/// <param name="drainToken">
/// Cancelled only when a shutdown's drain deadline passes. DATA processing runs on it rather than on the
/// session's token, so a message in flight when SIGTERM arrives is still scanned, relayed and answered.
/// </param>
/// <param name="autolearn">Learning from strong verdicts (learning.autolearn); null when off.</param>
internal sealed partial class GatewayMessageStore(GatewayOptions options, MessageScanner scanner, MessageRelay relay, ILogger<GatewayMessageStore> logger, CancellationToken drainToken, Core.Learning.Autolearn? autolearn = null, Core.History.IHistory? history = null, Learning.SiteLearning? site = null, Core.DmarcReports.DmarcReporter? dmarcReports = null) : IMessageStore
{
    /// <summary>Messages up to this size are scanned on the thread that read them (see <see cref="ProcessAsync"/>).</summary>
    private const int InlineScanLimit = 64 * 1024;

    private static readonly SmtpReply TrapRefused = new(550, "5.7.1", "This address does not accept mail");

    private static readonly SmtpReply NulRefused = new(554, "5.6.0", "Message contains NUL characters, which SMTP does not carry");

    public async Task<SmtpResponse> SaveAsync(ISessionContext context, IMessageTransaction transaction, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        var state = SessionState.Of(context);
        var queueId = QueueIds.Next();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var reply = await ProcessAsync(context, state, queueId, buffer, drainToken);
            if (reply.IsPositive)
            {
                state.Refusals = 0; // a sender that delivers is not harvesting addresses
            }

            GatewayMetrics.Replies.WithLabels("data", SmtpReplies.Class(reply)).Inc();
            GatewayMetrics.MessageDuration.Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
            return SmtpReplies.ToResponse(reply);
        }
        catch (Exception exception)
        {
            Log.ProcessingFailed(logger, exception, context.SessionId, queueId);
            return SmtpReplies.ToResponse(DeliveryReplies.LocalError);
        }
        finally
        {
            await state.EndTransactionAsync();
        }
    }

    private async Task<SmtpReply> ProcessAsync(ISessionContext context, SessionState state, string queueId, ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
    {
        // Truncated: the stream guard dropped DATA over the limit instead of buffering it.
        var guard = Admission.ClientPipe.GuardOf(context);
        if (buffer.Length > options.Limits.MaxMessageSize || guard?.Truncated == true)
        {
            return Refused(state, queueId, SmtpReplies.MessageTooBig(options.Limits.MaxMessageSize));
        }

        // The guard dropped it for want of message memory (limits.max_message_memory): come back later.
        if (guard?.OutOfMemoryBudget == true)
        {
            Log.OutOfMessageMemory(logger, context.SessionId, queueId, guard.MessageMemoryCapacity);
            GatewayMetrics.MessageMemoryDeferred.WithLabels("data").Inc();
            return Refused(state, queueId, SmtpReplies.OutOfMessageMemory);
        }

        // Our own copy: SmtpServer releases the pipe's memory when this method returns.
        var raw = buffer.ToArray();

        // SMTP carries no NUL (RFC 5321 2.3.8; we offer no BINARYMIME), and a downstream that drops NULs
        // would read "\r\n\0.\r\n" as the end of DATA: what follows it would become commands there.
        if (raw.AsSpan().Contains((byte)0))
        {
            return Refused(state, queueId, NulRefused);
        }

        // Every reader from here on (limits, stripping, checks, stamping, the downstream) sees the same lines.
        raw = LineEndings.Normalize(raw);

        if (state.Transaction?.IsTrap == true)
        {
            return await TrapAsync(state, queueId, raw, cancellationToken);
        }

        // With socket completions inline (Program), we may be on a socket event thread that other
        // connections' I/O waits for. A small message is scanned right here, as an event loop would (a
        // fraction of a millisecond; hopping to the pool and back cost more, bench/RESULTS.md); a bigger
        // one, whose parse and scan may take milliseconds, goes to the pool. Blocking file writes hop by
        // themselves (DurableFile).
        if (!Thread.CurrentThread.IsThreadPoolThread && raw.Length > InlineScanLimit)
        {
            await Task.Yield();
        }

        var (headerSize, headerFields) = HeaderLimits.Measure(raw);
        if (headerSize > options.Limits.MaxHeaderSize || headerFields > options.Limits.MaxHeaderCount)
        {
            return Refused(state, queueId, new SmtpReply(552, "5.3.4", $"Message header too large (at most {options.Limits.MaxHeaderCount} fields, {options.Limits.MaxHeaderSize} bytes)"));
        }

        if (Core.Content.MimeComplexity.Exceeds(raw, options.Limits.MaxMimeParts, options.Limits.MaxMimeParameters, cancellationToken) is { } tooComplex)
        {
            return Refused(state, queueId, new SmtpReply(552, "5.3.4", $"Message too complex to accept: {tooComplex}"));
        }

        if (state.Transaction is not { Downstream: not null } transaction)
        {
            // The downstream transaction broke after RCPT; the client keeps the message and retries.
            return DeliveryReplies.ConnectionLost;
        }

        var envelope = new Envelope(state.ClientAddress, state.HeloName, transaction.MailFrom, [.. transaction.Recipients], context.Pipe.IsSecure)
        {
            ReverseName = state.ReverseName is { } reverse ? await reverse : null,
            SessionSymbols = [.. transaction.Symbols],
            PolicyGroup = transaction.PolicyGroup,
        };
        if (transaction.SpfAtMailFrom is { } spf)
        {
            envelope = envelope.WithBegun(Core.Authentication.MessageAuthentication.SpfBegunAtMail, spf);
        }

        var scan = await scanner.ScanAsync(context.SessionId.ToString("N"), envelope, raw, cancellationToken);
        // Read before the relay, which lets go of the parse while the downstream answers.
        var (messageId, subject) = (scan.Context.Message.MessageId, scan.Context.Message.Subject);
        var learning = autolearn?.Prepare(scan, cancellationToken);
        if (dmarcReports is not null && Core.DmarcReports.DmarcObservation.Of(scan.Context, scan.Verdict.Action, DateTimeOffset.UtcNow) is { } observation)
        {
            _ = RecordDmarcAsync(observation);
        }

        // Read before the relay too: the parse goes with it.
        var rejected = options.Fuzzy.LearnRejects && site is not null && scan.Verdict is { Action: VerdictAction.Reject, ForcedBy: null } ? scan.Context.Message : null;
        var reply = await relay.CarryOutAsync(scan, transaction.Downstream, queueId, cancellationToken);
        if (rejected is not null)
        {
            _ = LearnRejectedAsync(rejected);
        }

        if (learning is not null && (reply.IsPositive || scan.Verdict.Action == VerdictAction.Reject))
        {
            // After the reply is settled, off the client's path: learning never delays or fails a message.
            _ = AutolearnAsync(learning);
        }

        Record(scan);
        if (options.Mode == GatewayMode.Enforce && scan.Verdict.Action == VerdictAction.Quarantine && reply.IsPositive)
        {
            GatewayMetrics.QuarantineMessages.Inc();
        }
        if (options.Mode == GatewayMode.Shadow && scan.Verdict.Action is VerdictAction.Reject or VerdictAction.TempFail or VerdictAction.Quarantine)
        {
            GatewayMetrics.ShadowWould.WithLabels(scan.Verdict.Action.ToString().ToLowerInvariant()).Inc();
        }
        history?.Add(new Core.History.HistoryEntry(DateTimeOffset.UtcNow, "data", scan.Verdict.Action.ToString().ToLowerInvariant(), envelope.ClientAddress.ToString(), envelope.HeloName, envelope.From ?? string.Empty, envelope.Recipients, reply.ToString())
        {
            QueueId = queueId,
            MessageId = messageId,
            Subject = subject,
            Score = Math.Round(scan.Verdict.Score, 2),
            Symbols = [.. scan.Verdict.Symbols.Where(symbol => symbol.Score != 0).OrderByDescending(symbol => Math.Abs(symbol.Score)).Select(symbol => FormattableString.Invariant($"{symbol.Name}({symbol.Score:0.00})"))],
        });
        Log.Message(
            logger,
            context.SessionId,
            queueId,
            envelope.ClientAddress,
            envelope.HeloName,
            envelope.From ?? string.Empty,
            string.Join(',', envelope.Recipients),
            raw.Length,
            scan.Verdict.Action,
            scan.Verdict.Score,
            string.Join(',', scan.Verdict.Symbols.Where(symbol => symbol.Score != 0).OrderByDescending(symbol => Math.Abs(symbol.Score)).Take(8).Select(symbol => symbol.Name)),
            (long)scan.Checks.Sum(check => check.Elapsed.TotalMilliseconds),
            reply.ToString());
        return reply;
    }

    /// <summary>
    /// Mail to a spam trap (fuzzy.traps): learned as spam — site tokens and fuzzy hashes, the source being the client's
    /// /24 or /64 (the session's address is plain IPv4 already), so learning's per-source daily cap bounds what one
    /// network can teach — and refused. Nothing goes downstream. The store out of reach refuses all the same (the trap
    /// is not a mailbox either way).
    /// </summary>
    private async Task<SmtpReply> TrapAsync(SessionState state, string queueId, byte[] raw, CancellationToken cancellationToken)
    {
        if (site is not null)
        {
            string word;
            try
            {
                word = Core.Learning.LearnOutcomes.Word(await site.Learner.LearnRawAsync(raw, isSpam: true, $"trap:{Core.Network.ClientNetwork.Of(state.ClientAddress, 24, 64)}", site.Seal, cancellationToken));
            }
            catch (Core.State.StateUnavailableException)
            {
                word = "unavailable";
            }

            GatewayMetrics.Learned.WithLabels("spam", "trap", word).Inc();
        }

        return Refused(state, queueId, TrapRefused);
    }

    /// <summary>A message refused at DATA before it was scanned (size, NUL, header or MIME limits) goes into the history too.</summary>
    private SmtpReply Refused(SessionState state, string queueId, SmtpReply reply)
    {
        history?.Add(new Core.History.HistoryEntry(DateTimeOffset.UtcNow, "data", "refused", state.ClientAddress.ToString(), state.HeloName, state.Transaction?.MailFrom ?? string.Empty, [.. state.Transaction?.Recipients ?? []], reply.ToString())
        {
            QueueId = queueId,
        });
        return reply;
    }

    /// <summary>dmarc_reports: counted off the client's path; a store out of reach loses the count, never the message.</summary>
    private async Task RecordDmarcAsync(Core.DmarcReports.DmarcObservation observation)
    {
        try
        {
            await dmarcReports!.RecordAsync(observation, CancellationToken.None);
        }
        catch (Core.State.StateUnavailableException)
        {
            GatewayMetrics.StateErrors.Inc();
        }
    }

    /// <summary>fuzzy.learn_rejects: off the client's path, never failing a message.</summary>
    private async Task LearnRejectedAsync(MimeKit.MimeMessage message)
    {
        try
        {
            await site!.Learner.LearnFuzzyAsync(message, isSpam: true, CancellationToken.None);
            GatewayMetrics.Learned.WithLabels("spam", "reject", "learned").Inc();
        }
        catch (Core.State.StateUnavailableException)
        {
            GatewayMetrics.Learned.WithLabels("spam", "reject", "unavailable").Inc();
        }
    }

    private async Task AutolearnAsync(Core.Learning.LearnedMessage learning)
    {
        try
        {
            var outcome = await autolearn!.LearnAsync(learning, CancellationToken.None);
            GatewayMetrics.Learned.WithLabels(learning.IsSpam ? "spam" : "ham", "autolearn", outcome is { } done ? Core.Learning.LearnOutcomes.Word(done) : "over_allowance").Inc();
        }
        catch (Core.State.StateUnavailableException)
        {
            GatewayMetrics.Learned.WithLabels(learning.IsSpam ? "spam" : "ham", "autolearn", "unavailable").Inc();
        }
    }

    private static void Record(ScanResult scan)
    {
        GatewayMetrics.Messages.WithLabels(scan.Verdict.Action.ToString().ToLowerInvariant()).Inc();
        foreach (var symbol in scan.Verdict.Symbols)
        {
            GatewayMetrics.SymbolHits.WithLabels(symbol.Name).Inc();
            if (scan.Policy.Rules.Contains(symbol.Name))
            {
                GatewayMetrics.RuleHits.WithLabels(symbol.Name).Inc();
            }
        }

        foreach (var check in scan.Checks)
        {
            GatewayMetrics.CheckDuration.WithLabels(check.Name).Observe(check.Elapsed.TotalSeconds);
            if (check.Status is CheckStatus.Failed or CheckStatus.TimedOut)
            {
                GatewayMetrics.CheckFailures.WithLabels(check.Name, check.Status.ToString().ToLowerInvariant()).Inc();
            }
        }

        if (scan.Context.Classification is { } classification)
        {
            GatewayMetrics.SpamProbability.Observe(classification.SpamProbability);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1001, Level = LogLevel.Information,
            Message = "session={SessionId} id={QueueId} client=[{Client}] helo={Helo} from=<{From}> to=<{Recipients}> size={Size} action={Action} score={Score:0.00} symbols={Symbols} checks_ms={ChecksMs} reply=\"{Reply}\"")]
        public static partial void Message(ILogger logger, Guid sessionId, string queueId, IPAddress client, string helo, string from, string recipients, int size, Gateway.Core.Pipeline.VerdictAction action, double score, string symbols, long checksMs, string reply);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "session={SessionId} id={QueueId} processing failed; the client was told 451 4.3.0")]
        public static partial void ProcessingFailed(ILogger logger, Exception exception, Guid sessionId, string queueId);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "session={SessionId} id={QueueId} deferred with 452 4.3.1: the messages in progress hold all of limits.max_message_memory ({Capacity} bytes), or this client its quarter")]
        public static partial void OutOfMessageMemory(ILogger logger, Guid sessionId, string queueId, long capacity);
    }
}
