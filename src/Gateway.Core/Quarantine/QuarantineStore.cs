using System.Buffers;
using System.Text.Json;
using Gateway.Core.Delivery;
using Gateway.Core.Pipeline;

namespace Gateway.Core.Quarantine;

/// <summary>A held message's sidecar: the envelope to release it with, and why it was held.</summary>
public sealed record QuarantineEntry(
    string Id,
    DateTimeOffset ReceivedAt,
    string ClientAddress,
    string Helo,
    string? MailFrom,
    IReadOnlyList<string> Recipients,
    double Score,
    string? Reason,
    IReadOnlyList<QuarantinedSymbol> Symbols,
    string? Subject,
    string? From,
    long Size)
{
    /// <summary>A release claimed it and did not finish (crash or downstream trouble after the claim): never released twice on its own.</summary>
    public bool Releasing { get; init; }
}

public sealed record QuarantinedSymbol(string Name, double Score);

public enum ReleaseResult
{
    Released,
    NotFound,
    Refused,
}

/// <summary>What a release did; <see cref="Reply"/> is the downstream's word when it refused.</summary>
public sealed record ReleaseOutcome(ReleaseResult Result, IReadOnlyList<string> Delivered, IReadOnlyList<string> RefusedRecipients, SmtpReply? Reply = null)
{
    /// <summary>What happened to held message <paramref name="id"/>, in words: one wording for `gateway quarantine release` and the web console.</summary>
    public string Describe(string id) => Result switch
    {
        ReleaseResult.Released => $"{id}: released to {string.Join(", ", Delivered)}" + (RefusedRecipients.Count > 0 ? $"; refused by the downstream: {string.Join(", ", RefusedRecipients)}" : string.Empty),
        ReleaseResult.NotFound => $"{id}: not found (already released or deleted?)",
        _ => $"{id}: not released, kept in quarantine; downstream said: {Reply?.ToString() ?? "no recipient accepted"}",
    };
}

/// <summary>
/// The quarantine: one NAME.eml and one NAME.json per held message in a folder. The message is written
/// and fsynced before its sidecar, and the sidecar before the client hears 250, so an entry that lists
/// is complete. A release claims the entry by renaming its sidecar (atomic: two releases cannot both
/// win), relays it with the original envelope, and deletes it only after the downstream's 250; if the
/// downstream refuses, the claim is undone. An entry left claimed by a crash stays visible as
/// "releasing" and is never released again by itself: a duplicate is the operator's call.
/// </summary>
public sealed class QuarantineStore(string folder, TimeProvider time) : IMessageHold
{
    private const string Sidecar = ".json";
    private const string Claimed = ".json.releasing";
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    public string Folder { get; } = folder;

    /// <inheritdoc/>
    public async Task<string> HoldAsync(MessageContext context, Scoring.Verdict verdict, ReadOnlySequence<byte> message, CancellationToken cancellationToken) =>
        (await AddAsync(context, verdict, message, cancellationToken)).Id;

    public async Task<QuarantineEntry> AddAsync(MessageContext context, Scoring.Verdict verdict, ReadOnlySequence<byte> message, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        var now = time.GetUtcNow();
        var id = $"{now:yyyyMMdd'T'HHmmss'Z'}-{Guid.NewGuid():N}"[..29];
        var bytes = SmtpDataEncoder.Normalize(message);
        var envelope = context.Envelope;
        var entry = new QuarantineEntry(
            id,
            now,
            envelope.ClientAddress.ToString(),
            envelope.HeloName,
            envelope.From,
            envelope.Recipients,
            verdict.Score,
            verdict.Reason,
            [.. verdict.Symbols.Select(symbol => new QuarantinedSymbol(symbol.Name, Math.Round(symbol.Score, 3)))],
            context.Message.Subject,
            context.Message.From.Mailboxes.FirstOrDefault()?.Address,
            bytes.Length);
        await DurableFile.WriteAsync(Path.Combine(Folder, id + ".eml"), bytes, cancellationToken);
        await DurableFile.WriteAsync(Path.Combine(Folder, id + Sidecar), JsonSerializer.SerializeToUtf8Bytes(entry, Json), cancellationToken);
        return entry;
    }

    /// <summary>Every held message, oldest first (claimed ones marked).</summary>
    public IReadOnlyList<QuarantineEntry> List()
    {
        if (!Directory.Exists(Folder))
        {
            return [];
        }

        var entries = new List<QuarantineEntry>();
        foreach (var path in Directory.EnumerateFiles(Folder))
        {
            var claimed = path.EndsWith(Claimed, StringComparison.Ordinal);
            if ((claimed || path.EndsWith(Sidecar, StringComparison.Ordinal)) && Read(path) is { } entry)
            {
                entries.Add(entry with { Releasing = claimed });
            }
        }

        return [.. entries.OrderBy(entry => entry.ReceivedAt).ThenBy(entry => entry.Id, StringComparer.Ordinal)];
    }

    public QuarantineEntry? Find(string id)
    {
        if (!IsId(id))
        {
            return null;
        }

        return Read(Path.Combine(Folder, id + Sidecar)) ?? (Read(Path.Combine(Folder, id + Claimed)) is { } claimed ? claimed with { Releasing = true } : null);
    }

    public byte[]? ReadMessage(string id)
    {
        var path = Path.Combine(Folder, id + ".eml");
        return IsId(id) && File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    public bool Delete(string id)
    {
        if (!IsId(id) || Find(id) is null)
        {
            return false;
        }

        File.Delete(Path.Combine(Folder, id + Sidecar));
        File.Delete(Path.Combine(Folder, id + Claimed));
        File.Delete(Path.Combine(Folder, id + ".eml"));
        return true;
    }

    /// <summary>Relays a held message to the downstream with its original envelope, exactly once.</summary>
    public async Task<ReleaseOutcome> ReleaseAsync(string id, IDownstream downstream, CancellationToken cancellationToken)
    {
        var sidecar = Path.Combine(Folder, id + Sidecar);
        var claim = Path.Combine(Folder, id + Claimed);
        try
        {
            if (!IsId(id))
            {
                return new ReleaseOutcome(ReleaseResult.NotFound, [], []);
            }

            // The claim: whoever renames the sidecar releases the message. .NET moves without overwrite as
            // link + unlink, atomic on a local or NFS file system, so of two gateways (pods sharing one
            // ReadWriteMany volume) releasing the same entry, one wins and the other finds it gone or claimed.
            File.Move(sidecar, claim);
        }
        catch (FileNotFoundException)
        {
            return new ReleaseOutcome(ReleaseResult.NotFound, [], []);
        }
        catch (IOException) when (File.Exists(claim))
        {
            return new ReleaseOutcome(ReleaseResult.NotFound, [], []);
        }

        var entry = Read(claim)!;
        // Released mail must not be filed as junk again: our verdict fields say so (ResultHeaders.Released).
        var message = Headers.ResultHeaders.Released(File.ReadAllBytes(Path.Combine(Folder, id + ".eml")), entry.Score, entry.Symbols.Select(symbol => (symbol.Name, symbol.Score)));

        // One transaction per downstream route (downstream.routes), as the gateway relays them.
        var delivered = new List<string>();
        var refused = new List<string>();
        var kept = new List<string>();
        SmtpReply? failure = null;
        foreach (var group in entry.Recipients.GroupBy(recipient => downstream.RouteOf(recipient) ?? string.Empty))
        {
            var (sent, reply) = await RelayAsync(entry.MailFrom, [.. group], message, downstream, delivered, refused, cancellationToken);
            if (!sent)
            {
                kept.AddRange(group);
                failure ??= reply;
            }
        }

        if (kept.Count == entry.Recipients.Count)
        {
            File.Move(claim, sidecar);
            return new ReleaseOutcome(ReleaseResult.Refused, [], entry.Recipients, failure);
        }

        if (kept.Count > 0)
        {
            // Part went: what stays held is only the rest, so a second release cannot send anything twice.
            await DurableFile.WriteAsync(sidecar, JsonSerializer.SerializeToUtf8Bytes(entry with { Recipients = kept }, Json), cancellationToken);
            File.Delete(claim);
            return new ReleaseOutcome(ReleaseResult.Refused, delivered, kept, failure);
        }

        File.Delete(claim);
        File.Delete(Path.Combine(Folder, id + ".eml"));
        return new ReleaseOutcome(ReleaseResult.Released, delivered, refused);
    }

    /// <summary>One transaction to some of the recipients; whether the message went (to those the downstream accepted).</summary>
    private static async Task<(bool Sent, SmtpReply? Reply)> RelayAsync(string? sender, IReadOnlyList<string> recipients, byte[] message, IDownstream downstream, List<string> delivered, List<string> refused, CancellationToken cancellationToken)
    {
        var opened = await downstream.BeginAsync(sender, new Dictionary<string, string>(), cancellationToken, recipients[0]);
        if (opened.Transaction is not { } transaction)
        {
            return (false, opened.Reply);
        }

        await using (transaction)
        {
            var accepted = new List<string>();
            var notAccepted = new List<string>();
            (opened.FirstRecipient is { IsPositive: true } ? accepted : notAccepted).Add(recipients[0]);
            foreach (var recipient in recipients.Skip(1))
            {
                ((await transaction.AddRecipientAsync(recipient, cancellationToken)).IsPositive ? accepted : notAccepted).Add(recipient);
            }

            var reply = accepted.Count == 0 ? null : await transaction.SendAsync(new ReadOnlySequence<byte>(message), cancellationToken);
            if (reply is not { IsPositive: true })
            {
                return (false, reply ?? opened.FirstRecipient);
            }

            delivered.AddRange(accepted);
            refused.AddRange(notAccepted);
            return (true, reply);
        }
    }

    /// <summary>Deletes entries received more than <paramref name="retention"/> ago (and stale temporary files); how many went.</summary>
    public int Expire(TimeSpan retention)
    {
        var cutoff = time.GetUtcNow() - retention;
        var expired = 0;
        foreach (var entry in List().Where(entry => entry.ReceivedAt < cutoff))
        {
            expired += Delete(entry.Id) ? 1 : 0;
        }

        if (Directory.Exists(Folder))
        {
            foreach (var temporary in Directory.EnumerateFiles(Folder, "*.tmp").Where(path => File.GetLastWriteTimeUtc(path) < cutoff.UtcDateTime))
            {
                File.Delete(temporary);
            }
        }

        return expired;
    }

    /// <summary>Held messages and their bytes, for the gauge.</summary>
    public (int Count, long Bytes) Size()
    {
        var entries = List();
        return (entries.Count, entries.Sum(entry => entry.Size));
    }

    /// <summary>Ids are our own names: never a path, whatever an operator types.</summary>
    private static bool IsId(string id) => id.Length is > 0 and <= 64 && id.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    private static QuarantineEntry? Read(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<QuarantineEntry>(File.ReadAllBytes(path), Json);
        }
        catch (Exception exception) when (exception is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
